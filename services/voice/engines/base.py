"""What every speech engine offers: transcription of 16 kHz audio, and synthesis of text as PCM16 pieces."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Segment:
    text: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class SttResult:
    """A transcript: the whole text, the language used, the audio's length and timed segments."""

    text: str
    language: str
    duration_ms: int
    segments: list[Segment] = field(default_factory=list)


@dataclass(frozen=True)
class SpeechPiece:
    """Synthesized audio for one sentence: mono PCM16 at sample_rate, or already-encoded bytes (encoded=True)."""

    data: bytes
    sample_rate: int
    encoded: bool = False


class SttEngine(Protocol):
    name: str
    # Seconds of new audio between partial transcripts of a stream (engines with a per-call cost want more).
    partial_interval_s: float

    async def transcribe(self, audio: np.ndarray, *, language: str, quick: bool = False) -> SttResult:
        """Transcribe 16 kHz mono float32; quick = a partial (cheaper decoding, no timestamps needed)."""
        ...


class TtsEngine(Protocol):
    name: str

    def synthesize(
        self, text: str, *, voice: str, language: str, speed: float, encoding: str
    ) -> AsyncIterator[SpeechPiece]:
        """Audio for text, sentence by sentence, as it is produced (PCM16 unless the engine encodes itself)."""
        ...
