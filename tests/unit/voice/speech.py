"""Test speech made by the local TTS engines (Piper, eSpeak NG), and error-rate measures for round trips."""

from __future__ import annotations

import functools
import io

import av
import numpy as np

from services.voice.audio.decode import SAMPLE_RATE, resample
from services.voice.engines.espeak import Espeak
from services.voice.engines.local_tts import LocalTts, VoiceChoice
from services.voice.pool import WorkerPool

ENGLISH = "The weather is nice today, so we will take a long walk in the park."
MANDARIN = "今天天气很好，我们一起去公园散步吧。"


@functools.cache
def local_tts() -> LocalTts:
    pool = WorkerPool(workers=1, queue=4, max_streams=1, retry_after_s=1.0)
    return LocalTts(pool=pool, mandarin_voice="cmn+f3", espeak=Espeak())


def speak(text: str, voice: VoiceChoice) -> tuple[bytes, int]:
    """(mono PCM16, sample rate) of text."""
    piece = local_tts().speak(text, voice, 1.0)
    return piece.data, piece.sample_rate


def english_pcm() -> tuple[bytes, int]:
    return speak(ENGLISH, VoiceChoice("piper", "en_US-joe-medium"))


def mandarin_pcm() -> tuple[bytes, int]:
    return speak(MANDARIN, VoiceChoice("espeak", "cmn+f3"))


def to_16k(pcm: bytes, rate: int) -> np.ndarray:
    return resample(np.frombuffer(pcm, dtype="<i2").astype(np.float32).reshape(-1, 1) / 32768.0, rate)


def pcm16_16k(pcm: bytes, rate: int) -> bytes:
    """PCM16 at 16 kHz, what a pcm16 stream client sends."""
    return (np.clip(to_16k(pcm, rate), -1, 1) * 32767).astype("<i2").tobytes()


def silence(seconds: float) -> bytes:
    return b"\x00\x00" * int(seconds * SAMPLE_RATE)


def encode(pcm: bytes, rate: int, *, container: str, codec: str, out_rate: int = 48_000) -> bytes:
    """Mono PCM16 in a container (webm/ogg with libopus, flac, mp3), as a browser or phone would send it."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as output:
        stream = output.add_stream(codec, rate=out_rate)
        stream.layout = "mono"  # type: ignore[union-attr]
        frame = av.AudioFrame.from_ndarray(np.frombuffer(pcm, "<i2").reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        fmt = stream.codec_context.format.name if stream.codec_context.format else "s16"  # type: ignore[union-attr]
        resampler = av.AudioResampler(format=fmt, layout="mono", rate=out_rate)
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(piece):  # type: ignore[union-attr]
                output.mux(packet)
        for packet in stream.encode(None):  # type: ignore[union-attr]
            output.mux(packet)
    return buffer.getvalue()


def _edits(reference: list[str], hypothesis: list[str]) -> int:
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        previous, row = row, [i] + [0] * len(hypothesis)
        for j, hyp in enumerate(hypothesis, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ref != hyp))
    return row[-1]


def word_error_rate(reference: str, hypothesis: str) -> float:
    words = [w.strip(".,!?;:").lower() for w in reference.split()]
    heard = [w.strip(".,!?;:").lower() for w in hypothesis.split()]
    return _edits(words, heard) / max(1, len(words))


def char_error_rate(reference: str, hypothesis: str) -> float:
    chars = [c for c in reference if c.isalnum()]
    heard = [c for c in hypothesis if c.isalnum()]
    return _edits(chars, heard) / max(1, len(chars))
