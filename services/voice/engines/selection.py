"""Which engine serves a company: its `stt` / `tts` registry entry (openai), else MESH_VOICE_ENGINE."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import openai
import structlog

from services.kit.context import Principal
from services.kit.errors import FailedPrecondition, MeshError
from services.voice.config import VoiceSettings
from services.voice.engines.base import SttEngine, TtsEngine
from services.voice.engines.openai_engine import OpenAiStt, OpenAiTts, guarded_client
from services.voice.peers import SpeechEndpoint

log = structlog.get_logger(__name__)
Lookup = Callable[[Principal, str], Awaitable[SpeechEndpoint | None]]


class Engines:
    """Resolves the engine per request; registry answers are cached per company for a few seconds."""

    def __init__(
        self, *, settings: VoiceSettings, local_stt: SttEngine, local_tts: TtsEngine, lookup: Lookup | None
    ) -> None:
        self.settings = settings
        self.local_stt = local_stt
        self.local_tts = local_tts
        self.lookup = lookup if settings.voice_registry else None
        self._cache: dict[tuple[int, str], tuple[float, SpeechEndpoint | None]] = {}
        self._clients: dict[tuple[str, str, bool], openai.AsyncOpenAI] = {}

    def _client(self, endpoint: SpeechEndpoint) -> openai.AsyncOpenAI:
        key = (endpoint.base_url, endpoint.api_key, endpoint.operator_origin)
        if key not in self._clients:
            origins = (endpoint.base_url,) if endpoint.operator_origin else ()
            self._clients[key] = guarded_client(
                base_url=endpoint.base_url,
                api_key=endpoint.api_key,
                timeout_s=self.settings.voice_openai_timeout_s,
                policy=self.settings.endpoint_policy(*origins),
            )
        return self._clients[key]

    def _configured(self, kind: str) -> SpeechEndpoint | None:
        settings = self.settings
        if settings.voice_engine != "openai":
            return None
        if not settings.voice_openai_base_url:
            raise FailedPrecondition(
                "MESH_VOICE_ENGINE=openai needs MESH_VOICE_OPENAI_BASE_URL", reason="voice_engine_not_configured"
            )
        model = settings.voice_openai_stt_model if kind == "stt" else settings.voice_openai_tts_model
        # The operator's own setting: its origin is trusted like OPENAI_BASE_URL's.
        return SpeechEndpoint(model, settings.voice_openai_base_url, settings.voice_openai_api_key, True)

    async def _entry(self, principal: Principal, kind: str) -> SpeechEndpoint | None:
        if self.lookup is None:
            return None
        key = (principal.company_id, kind)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        ttl = self.settings.voice_registry_cache_s
        try:
            found = await self.lookup(principal, kind)
        except MeshError as error:
            # Chat unreachable: serve with the configured engine rather than fail every voice request, and ask
            # again shortly rather than on every request.
            log.warning("speech_entry_lookup_failed", kind=kind, reason=error.reason)
            found, ttl = None, min(ttl, 2.0)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (now + ttl, found)
        return found

    async def stt(self, principal: Principal) -> SttEngine:
        endpoint = await self._entry(principal, "stt") or self._configured("stt")
        if endpoint is None:
            return self.local_stt
        return OpenAiStt(client=self._client(endpoint), model=endpoint.model)

    async def tts(self, principal: Principal) -> TtsEngine:
        endpoint = await self._entry(principal, "tts") or self._configured("tts")
        if endpoint is None:
            return self.local_tts
        return OpenAiTts(
            client=self._client(endpoint), model=endpoint.model, default_voice=self.settings.voice_openai_tts_voice
        )

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
