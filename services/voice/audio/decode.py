"""Whole-buffer audio decoding (pcm16, WAV, MP3, Ogg/WebM Opus, FLAC, M4A) to 16 kHz mono float32."""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import av.error
import numpy as np

from services.kit.errors import InvalidArgument

SAMPLE_RATE = 16_000
MIN_RATE, MAX_RATE = 8_000, 96_000
MAX_CHANNELS = 2
# Input encodings by name; "auto" sniffs the container.
PCM16, WAV, MP3, OGG, WEBM, FLAC, M4A, AUTO = "pcm16", "wav", "mp3", "ogg", "webm", "flac", "m4a", "auto"
CONTAINERS = (WAV, MP3, OGG, WEBM, FLAC, M4A)
# PyAV demuxer names.
DEMUXERS = {WAV: "wav", MP3: "mp3", OGG: "ogg", WEBM: "matroska", FLAC: "flac", M4A: "mp4"}


@dataclass(frozen=True)
class AudioSpec:
    """What a client declared about its audio; sample_rate and channels matter for raw pcm16 only."""

    encoding: str = AUTO
    sample_rate: int = SAMPLE_RATE
    channels: int = 1


def sniff(head: bytes) -> str | None:
    """The container named by the first bytes, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head[:4] == b"OggS":
        return OGG
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return WEBM
    if head[:4] == b"fLaC":
        return FLAC
    if head[4:8] == b"ftyp":
        return M4A
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MP3
    return None


def check_spec(spec: AudioSpec, *, prefix: str = "") -> AudioSpec:
    """The spec with defaults filled in; INVALID_ARGUMENT naming the field for a rate or channel count out of range."""
    rate = spec.sample_rate or SAMPLE_RATE
    channels = spec.channels or 1
    if not MIN_RATE <= rate <= MAX_RATE:
        raise InvalidArgument(
            f"sample_rate_hz must be between {MIN_RATE} and {MAX_RATE}, not {rate}",
            reason="invalid_sample_rate",
            field=f"{prefix}sample_rate_hz",
        )
    if not 1 <= channels <= MAX_CHANNELS:
        raise InvalidArgument(
            f"channels must be 1 or 2, not {channels}", reason="invalid_channels", field=f"{prefix}channels"
        )
    return AudioSpec(spec.encoding, rate, channels)


def container_of(declared: str, head: bytes, *, field: str) -> str:
    """The container to demux: the sniffed one (clients mislabel WebM and Ogg); garbage is refused naming field."""
    found = sniff(head)
    if found is not None:
        return found
    if declared == AUTO:
        raise InvalidArgument(
            "the audio format is not recognised: send wav, mp3, ogg, webm, flac or m4a, or declare pcm16",
            reason="unsupported_format",
            field=field,
        )
    raise InvalidArgument(f"the audio is not valid {declared.upper()} data", reason="invalid_audio", field=field)


def pcm16_to_float(data: bytes, *, channels: int) -> np.ndarray:
    """Interleaved 16-bit little-endian PCM as float32 frames of shape (n, channels)."""
    usable = len(data) - len(data) % (2 * channels)
    samples = np.frombuffer(data[:usable], dtype="<i2").astype(np.float32) / 32768.0
    return samples.reshape(-1, channels)


def resample(frames: np.ndarray, rate: int) -> np.ndarray:
    """(n, channels) float32 at rate to mono float32 at 16 kHz (band-limited interpolation)."""
    mono = frames.mean(axis=1) if frames.ndim == 2 else frames
    mono = np.ascontiguousarray(mono, dtype=np.float32)
    if rate == SAMPLE_RATE or len(mono) == 0:
        return mono
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    frame = av.AudioFrame.from_ndarray(mono.reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate = rate
    out = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    out += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, dtype=np.float32)


def too_long(max_s: float, field: str) -> InvalidArgument:
    return InvalidArgument(
        f"the audio is longer than {max_s:g} seconds, the most one request may carry",
        reason="audio_too_long",
        field=field,
    )


def decode_container(data: bytes, container: str, *, max_s: float, field: str) -> np.ndarray:
    """Demux and decode a whole container to 16 kHz mono float32."""
    limit = int(max_s * SAMPLE_RATE)
    parts: list[np.ndarray] = []
    total = 0
    try:
        with av.open(io.BytesIO(data), format=DEMUXERS[container]) as source:
            if not source.streams.audio:
                raise InvalidArgument("the file has no audio track", reason="invalid_audio", field=field)
            stream = source.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            for frame in source.decode(stream):  # type: ignore[union-attr]
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray().reshape(-1))
                    total += out.samples
                if total > limit:
                    raise too_long(max_s, field)
            parts += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    except (av.error.FFmpegError, ValueError, EOFError, IndexError) as error:
        if not parts:
            raise InvalidArgument(
                f"the audio is not valid {container.upper()} data", reason="invalid_audio", field=field
            ) from error
        # A truncated tail: keep what decoded.
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, dtype=np.float32)


def decode_audio(data: bytes, spec: AudioSpec, *, max_s: float, field: str = "audio") -> np.ndarray:
    """Any supported input as 16 kHz mono float32; INVALID_ARGUMENT (naming field) for empty, garbage or too long."""
    if not data:
        raise InvalidArgument("the audio is empty", reason="empty_audio", field=field)
    if spec.encoding == PCM16:
        checked = check_spec(spec)
        if len(data) < 2 * checked.channels:
            raise InvalidArgument("the audio is empty", reason="empty_audio", field=field)
        frames = pcm16_to_float(data, channels=checked.channels)
        if len(frames) > max_s * checked.sample_rate:
            raise too_long(max_s, field)
        return resample(frames, checked.sample_rate)
    if spec.encoding not in (AUTO, *CONTAINERS):
        raise InvalidArgument(f"unsupported audio encoding {spec.encoding}", reason="unsupported_format", field=field)
    container = container_of(spec.encoding, data[:16], field=field)
    audio = decode_container(data, container, max_s=max_s, field=field)
    if len(audio) == 0:
        raise InvalidArgument("the audio is empty", reason="empty_audio", field=field)
    return audio
