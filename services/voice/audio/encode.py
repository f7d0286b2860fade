"""Output encoders for synthesized 16-bit PCM: raw pcm16 at a declared rate, streaming WAV, streaming MP3 (lameenc)."""

from __future__ import annotations

import struct

import av
import lameenc
import numpy as np

PCM16_OUT, WAV_OUT, MP3_OUT = "pcm16", "wav", "mp3"
# A streamed WAV does not know its length: the RIFF and data sizes say "unknown" (as ffmpeg and browsers accept).
_UNKNOWN = 0xFFFFFFFF


def wav_header(*, sample_rate: int, channels: int = 1, data_bytes: int | None = None) -> bytes:
    """A 44-byte PCM16 WAV header; data_bytes None for a stream of unknown length."""
    size = _UNKNOWN if data_bytes is None else data_bytes
    riff = _UNKNOWN if data_bytes is None else 36 + data_bytes
    block = 2 * channels
    return (
        b"RIFF"
        + struct.pack("<I", riff)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, sample_rate, sample_rate * block, block, 16)
        + b"data"
        + struct.pack("<I", size)
    )


def wav_bytes(pcm: bytes, *, sample_rate: int) -> bytes:
    """A whole mono PCM16 WAV file."""
    return wav_header(sample_rate=sample_rate, data_bytes=len(pcm)) + pcm


class Pcm16Resampler:
    """Mono PCM16 from the engine's rate to the requested one, keeping filter state across pieces."""

    def __init__(self, *, source_rate: int, target_rate: int) -> None:
        self.source_rate = source_rate
        self.target_rate = target_rate
        self._resampler = (
            av.AudioResampler(format="s16", layout="mono", rate=target_rate) if source_rate != target_rate else None
        )

    def convert(self, pcm: bytes | None) -> bytes:
        if self._resampler is None:
            return pcm or b""
        frame = None
        if pcm:
            samples = np.frombuffer(pcm, dtype="<i2").reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
            frame.sample_rate = self.source_rate
        elif pcm is not None:
            return b""
        return b"".join(bytes(f.planes[0])[: f.samples * 2] for f in self._resampler.resample(frame))


class Encoder:
    """Turns engine PCM pieces into the output encoding as they come; finish() flushes the tail."""

    def __init__(self, *, encoding: str, source_rate: int, target_rate: int = 0, mp3_kbps: int = 64) -> None:
        self.encoding = encoding
        self.sample_rate = target_rate or source_rate
        self._resampler = Pcm16Resampler(source_rate=source_rate, target_rate=self.sample_rate)
        self._header_sent = False
        self._mp3: lameenc.Encoder | None = None
        if encoding == MP3_OUT:
            self._mp3 = lameenc.Encoder()
            self._mp3.set_bit_rate(mp3_kbps)
            self._mp3.set_in_sample_rate(self.sample_rate)
            self._mp3.set_channels(1)
            self._mp3.set_quality(5)

    def encode(self, pcm: bytes) -> bytes:
        return self._out(self._resampler.convert(pcm))

    def finish(self) -> bytes:
        tail = self._out(self._resampler.convert(None))
        if self._mp3 is not None:
            tail += bytes(self._mp3.flush())
        elif self.encoding == WAV_OUT and not self._header_sent:
            tail = self._out(b"") + tail
        return tail

    def _out(self, pcm: bytes) -> bytes:
        if self._mp3 is not None:
            return bytes(self._mp3.encode(pcm)) if pcm else b""
        if self.encoding == WAV_OUT and not self._header_sent:
            self._header_sent = True
            return wav_header(sample_rate=self.sample_rate) + pcm
        return pcm
