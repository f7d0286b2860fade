"""The `openai` engine: any OpenAI-compatible audio endpoint through the openai SDK (transcriptions, speech)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import numpy as np
import openai

from services.kit.errors import DeadlineExceeded, InvalidArgument, MeshError, Unavailable
from services.kit.outbound import GuardedTransport, OutboundPolicy
from services.voice.audio.decode import SAMPLE_RATE
from services.voice.audio.encode import MP3_OUT, wav_bytes
from services.voice.engines.base import Segment, SpeechPiece, SttResult
from services.voice.engines.whisper import join_texts
from services.voice.text import normalize_language

# verbose_json names languages in English ("chinese"); the contract speaks ISO codes.
_LANGUAGE_NAMES = {
    "english": "en",
    "chinese": "zh",
    "mandarin": "zh",
    "japanese": "ja",
    "korean": "ko",
    "french": "fr",
    "german": "de",
    "spanish": "es",
    "russian": "ru",
    "italian": "it",
}
PCM_RATE = 24_000  # OpenAI's "pcm" response format: 24 kHz mono 16-bit little-endian
OPENAI_VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse")


def guarded_client(*, base_url: str, api_key: str, timeout_s: float, policy: OutboundPolicy) -> openai.AsyncOpenAI:
    """An AsyncOpenAI client whose every connection passes the model endpoint policy (checked at connect time)."""
    http = httpx.AsyncClient(
        transport=GuardedTransport(policy), timeout=httpx.Timeout(timeout_s, connect=10.0), follow_redirects=True
    )
    return openai.AsyncOpenAI(
        base_url=base_url,
        api_key=api_key or "none",
        timeout=openai.Timeout(timeout_s, connect=10.0),
        max_retries=0,
        http_client=http,  # type: ignore[arg-type]
    )


def upstream_error(error: Exception, what: str) -> MeshError:
    """An SDK failure as a mesh error; the endpoint's own text and address stay inside the mesh."""
    if isinstance(error, openai.APITimeoutError):
        return DeadlineExceeded(f"the {what} endpoint did not answer in time", reason="upstream_timeout")
    if isinstance(error, openai.APIStatusError):
        if error.status_code == 400:
            return InvalidArgument(f"the {what} endpoint refused the request (HTTP 400)", reason="upstream_rejected")
        return Unavailable(f"the {what} endpoint answered HTTP {error.status_code}", reason="upstream_error")
    return Unavailable(f"the {what} endpoint is unreachable", reason="upstream_unavailable")


def _field(item: Any, name: str, default: Any = None) -> Any:
    return item.get(name, default) if isinstance(item, dict) else getattr(item, name, default)


class OpenAiStt:
    """audio.transcriptions.create with verbose_json (segments with timestamps); plain json/text as a fallback."""

    name = "openai"
    partial_interval_s = 2.0  # every partial is a whole upload

    def __init__(self, *, client: openai.AsyncOpenAI, model: str) -> None:
        self.client = client
        self.model = model

    async def transcribe(self, audio: np.ndarray, *, language: str, quick: bool = False) -> SttResult:
        duration_ms = int(len(audio) * 1000 / SAMPLE_RATE)
        if len(audio) == 0:
            return SttResult("", language, 0, [])
        pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        request: dict[str, Any] = {
            "model": self.model,
            "file": ("audio.wav", wav_bytes(pcm, sample_rate=SAMPLE_RATE), "audio/wav"),
            "response_format": "json" if quick else "verbose_json",
        }
        if language:
            request["language"] = language
        try:
            reply = await self.client.audio.transcriptions.create(**request)
        except openai.OpenAIError as error:
            raise upstream_error(error, "speech-to-text") from None
        text = str(_field(reply, "text", "") or "").strip()
        named = str(_field(reply, "language", "") or "").strip().lower()
        lang = language or _LANGUAGE_NAMES.get(named, normalize_language(named))
        segments = [
            Segment(
                str(_field(s, "text", "")).strip(),
                int(float(_field(s, "start", 0.0)) * 1000),
                min(duration_ms, int(float(_field(s, "end", 0.0)) * 1000)),
            )
            for s in (_field(reply, "segments") or [])
            if str(_field(s, "text", "")).strip()
        ]
        if not segments and text:
            segments = [Segment(text, 0, duration_ms)]
        return SttResult(text or join_texts([s.text for s in segments], lang), lang, duration_ms, segments)


class OpenAiTts:
    """audio.speech.create, streamed: raw 24 kHz PCM for pcm16/WAV output, the endpoint's MP3 for MP3."""

    name = "openai"

    def __init__(self, *, client: openai.AsyncOpenAI, model: str, default_voice: str) -> None:
        self.client = client
        self.model = model
        self.default_voice = default_voice

    async def synthesize(
        self, text: str, *, voice: str, language: str, speed: float, encoding: str
    ) -> AsyncIterator[SpeechPiece]:
        mp3 = encoding == MP3_OUT
        request: dict[str, Any] = {
            "model": self.model,
            "voice": voice.strip() or self.default_voice,
            "input": text,
            "response_format": "mp3" if mp3 else "pcm",
        }
        if speed and speed != 1.0:
            request["speed"] = speed
        try:
            async with self.client.audio.speech.with_streaming_response.create(**request) as response:
                async for chunk in response.iter_bytes(16 * 1024):
                    if chunk:
                        yield SpeechPiece(chunk, PCM_RATE, encoded=mp3)
        except openai.OpenAIError as error:
            raise upstream_error(error, "text-to-speech") from None
