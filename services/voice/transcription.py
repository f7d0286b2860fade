"""Transcription use cases: a stored voice file (cached per object id), and a live stream."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import structlog

from services.kit.context import Principal
from services.kit.errors import InvalidArgument, MeshError
from services.voice.audio.decode import AUTO, PCM16, AudioSpec, check_spec, decode_audio
from services.voice.config import VoiceSettings
from services.voice.engines.base import SttResult
from services.voice.engines.selection import Engines
from services.voice.peers import Peers
from services.voice.pool import WorkerPool, busy
from services.voice.store import VoiceStore
from services.voice.streaming import StreamEvent, StreamLimits, transcribe_stream
from services.voice.text import normalize_language

log = structlog.get_logger(__name__)
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def check_language(raw: str, *, field: str) -> str:
    """An ISO 639 code ('' = detect); 'zh-CN' and 'cmn' become 'zh'."""
    code = normalize_language(raw)
    if not code:
        return ""
    if not _LANGUAGE.match(code):
        raise InvalidArgument(f"language must be an ISO 639-1 code such as zh or en, not {raw!r}", field=field)
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    if code not in _LANGUAGE_CODES:
        raise InvalidArgument(f"speech in {raw!r} cannot be recognised", reason="unsupported_language", field=field)
    return code


class Transcriber:
    def __init__(
        self, *, settings: VoiceSettings, engines: Engines, pool: WorkerPool, store: VoiceStore, peers: Peers
    ) -> None:
        self.settings = settings
        self.engines = engines
        self.pool = pool
        self.store = store
        self.peers = peers

    async def file(
        self, *, principal: Principal, object_id: str, language: str, store_with_file: bool = True
    ) -> SttResult:
        """A voice object's transcript: read through files as the principal, cached, stored with the file."""
        object_id = object_id.strip()
        if not object_id.isdigit() or len(object_id) > 20:
            raise InvalidArgument("object_id must be a files object id", reason="invalid_object_id", field="object_id")
        lang = check_language(language, field="language")
        await self.peers.get_object(principal=principal, object_id=object_id)  # NOT_FOUND unless the caller's
        cached = await self.store.transcript(principal=principal, object_id=object_id, language=lang)
        if cached is not None:
            return cached
        if not self.pool.has_room():  # refuse before reading a file that could not be transcribed now
            raise busy(self.pool.retry_after_s)
        voice = await self.peers.read_voice(
            principal=principal, object_id=object_id, max_bytes=self.settings.voice_max_audio_bytes
        )
        max_s = self.settings.voice_max_audio_s
        audio = await self.pool.run(lambda _: decode_audio(voice.data, AudioSpec(AUTO), max_s=max_s, field="object_id"))
        engine = await self.engines.stt(principal)
        result = await engine.transcribe(audio, language=lang)
        await self.store.save_transcript(
            principal=principal, object_id=object_id, language=lang, engine=engine.name, result=result
        )
        if store_with_file:
            try:
                await self.peers.set_transcript(
                    principal=principal,
                    object_id=object_id,
                    text=result.text,
                    language=result.language,
                    duration_ms=result.duration_ms,
                )
            except MeshError as error:  # the caller has its transcript; the file learns it next time
                log.warning("set_transcript_failed", object_id=object_id, reason=error.reason)
        log.info("file_transcribed", object_id=object_id, engine=engine.name, duration_ms=result.duration_ms)
        return result

    async def stream(
        self, *, principal: Principal, spec: AudioSpec, language: str, interim: bool, chunks: AsyncIterator[bytes]
    ) -> AsyncIterator[StreamEvent]:
        """A live session: checked config, one streaming slot, events as speech is recognised."""
        if spec.encoding == PCM16:
            spec = check_spec(spec, prefix="config.")
        lang = check_language(language, field="config.language")
        settings = self.settings
        limits = StreamLimits(
            max_frame_bytes=settings.voice_max_frame_bytes,
            max_session_s=settings.voice_max_session_s,
            endpoint_silence_ms=settings.voice_endpoint_silence_ms,
            max_segment_s=settings.voice_max_segment_s,
            idle_timeout_s=settings.voice_stream_idle_timeout_s,
        )
        async with self.pool.stream_slot():
            engine = await self.engines.stt(principal)
            events = transcribe_stream(
                engine=engine, spec=spec, language=lang, interim=interim, limits=limits, chunks=chunks
            )
            async for event in events:
                yield event
