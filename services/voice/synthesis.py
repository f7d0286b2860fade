"""Synthesis use case: a checked request, the engine's pieces encoded (pcm16 / WAV / MP3) as they are produced."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

from services.kit.errors import InvalidArgument
from services.voice.audio.encode import MP3_OUT, PCM16_OUT, WAV_OUT, Encoder
from services.voice.engines.base import TtsEngine
from services.voice.text import normalize_language

OUTPUTS = (PCM16_OUT, WAV_OUT, MP3_OUT)
MIN_OUT_RATE, MAX_OUT_RATE = 8_000, 48_000


@dataclass(frozen=True)
class SynthesisSpec:
    text: str
    voice: str = ""
    encoding: str = MP3_OUT
    sample_rate: int = 0  # 0 = the engine's own
    language: str = ""
    speed: float = 0.0  # 0 = 1.0


@dataclass(frozen=True)
class AudioOut:
    data: bytes
    sample_rate: int


def check_synthesis(spec: SynthesisSpec, *, max_chars: int) -> SynthesisSpec:
    """The request with its text trimmed; INVALID_ARGUMENT naming the field otherwise."""
    text = spec.text.strip()
    if not text:
        raise InvalidArgument("text must not be empty", reason="empty_text", field="text")
    if len(text) > max_chars:
        raise InvalidArgument(
            f"text has {len(text)} characters; at most {max_chars} can be spoken in one request",
            reason="text_too_long",
            field="text",
        )
    if spec.encoding not in OUTPUTS:
        raise InvalidArgument(
            "speech can be produced as pcm16, wav or mp3", reason="unsupported_format", field="encoding"
        )
    if spec.sample_rate and not MIN_OUT_RATE <= spec.sample_rate <= MAX_OUT_RATE:
        raise InvalidArgument(
            f"sample_rate_hz must be 0 or between {MIN_OUT_RATE} and {MAX_OUT_RATE}",
            reason="invalid_sample_rate",
            field="sample_rate_hz",
        )
    if spec.speed and not 0.25 <= spec.speed <= 4.0:
        raise InvalidArgument("speed must be between 0.25 and 4", field="speed")
    if len(spec.voice) > 128:
        raise InvalidArgument("voice is too long", reason="unknown_voice", field="voice")
    return replace(spec, text=text, language=normalize_language(spec.language), speed=spec.speed or 1.0)


async def synthesize(engine: TtsEngine, spec: SynthesisSpec) -> AsyncIterator[AudioOut]:
    """Encoded audio as the engine produces it; the encoder's tail last."""
    encoder: Encoder | None = None
    rest = b""
    pieces = engine.synthesize(
        spec.text, voice=spec.voice, language=spec.language, speed=spec.speed, encoding=spec.encoding
    )
    async for piece in pieces:
        if piece.encoded:  # the engine produced the requested encoding itself
            yield AudioOut(piece.data, spec.sample_rate or piece.sample_rate)
            continue
        if encoder is None:
            encoder = Encoder(encoding=spec.encoding, source_rate=piece.sample_rate, target_rate=spec.sample_rate)
        data = rest + piece.data
        cut = len(data) - len(data) % 2
        rest = data[cut:]
        out = encoder.encode(data[:cut])
        if out:
            yield AudioOut(out, encoder.sample_rate)
    if encoder is not None:
        tail = encoder.finish()
        if tail:
            yield AudioOut(tail, encoder.sample_rate)
