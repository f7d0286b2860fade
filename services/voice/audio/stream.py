"""Incremental decoders for streamed audio: raw pcm16 in place, containers demuxed by PyAV on a thread."""

from __future__ import annotations

import io
import struct
import threading
from collections.abc import Callable

import av
import av.error
import numpy as np

from services.kit.errors import InvalidArgument
from services.voice.audio.decode import (
    AUTO,
    DEMUXERS,
    M4A,
    PCM16,
    SAMPLE_RATE,
    WAV,
    AudioSpec,
    check_spec,
    container_of,
    pcm16_to_float,
)

# Bytes a container stream may hold before its format is known.
_SNIFF_BYTES = 16


class PcmStream:
    """Raw interleaved pcm16 at a declared rate: samples out as soon as bytes come in."""

    def __init__(self, spec: AudioSpec) -> None:
        self.spec = spec
        self._rest = b""
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)

    def feed(self, data: bytes) -> np.ndarray:
        data = self._rest + data
        width = 2 * self.spec.channels
        cut = len(data) - len(data) % width
        self._rest = data[cut:]
        if cut == 0:
            return np.zeros(0, dtype=np.float32)
        return self._resample(pcm16_to_float(data[:cut], channels=self.spec.channels).mean(axis=1))

    def _resample(self, mono: np.ndarray | None) -> np.ndarray:
        if self.spec.sample_rate == SAMPLE_RATE:
            return np.zeros(0, dtype=np.float32) if mono is None else mono.astype(np.float32)
        frame = None
        if mono is not None:
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(mono, np.float32).reshape(1, -1), "flt", "mono")
            frame.sample_rate = self.spec.sample_rate
        out = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros(0, dtype=np.float32)

    def finish(self) -> np.ndarray:
        return self._resample(None)

    @property
    def container(self) -> ContainerStream | None:
        return None

    def abort(self) -> None:
        return None


class WavStream:
    """A streamed PCM16 WAV: its header parsed here, its samples passed on at once.

    ffmpeg's WAV demuxer reads 64 KiB (two seconds) before it returns, to look for S/PDIF data; parsing the
    header ourselves keeps streamed WAV as fast as raw pcm16. Other WAV sample formats go to PyAV after all.
    """

    def __init__(self, *, field: str, on_samples: Callable[[], None]) -> None:
        self.field = field
        self.on_samples = on_samples
        self._head = b""
        self._inner: PcmStream | ContainerStream | None = None

    def _parse(self) -> tuple[int, int, int, int, int] | None:
        """(format, channels, rate, bits) and the offset of the data, once the header has arrived."""
        head = self._head
        if len(head) >= 12 and (head[:4] != b"RIFF" or head[8:12] != b"WAVE"):
            raise InvalidArgument("the audio is not valid WAV data", reason="invalid_audio", field=self.field)
        offset, fmt = 12, None
        while offset + 8 <= len(head):
            name, size = head[offset : offset + 4], int.from_bytes(head[offset + 4 : offset + 8], "little")
            if name == b"data":
                if fmt is None:
                    raise InvalidArgument("the WAV data has no format chunk", reason="invalid_audio", field=self.field)
                return (*fmt, offset + 8)
            if name == b"fmt ":
                if offset + 8 + 16 > len(head):
                    return None
                audio_format, channels, rate, _, _, bits = struct.unpack("<HHIIHH", head[offset + 8 : offset + 24])
                fmt = (audio_format, channels, rate, bits)
            if size > 1 << 20:
                raise InvalidArgument("the WAV header is malformed", reason="invalid_audio", field=self.field)
            offset += 8 + size + (size & 1)
        if len(head) > 1 << 21:
            raise InvalidArgument("the WAV header never ends", reason="invalid_audio", field=self.field)
        return None

    def feed(self, data: bytes) -> np.ndarray:
        if self._inner is not None:
            return self._inner.feed(data)
        self._head += data
        found = self._parse()
        if found is None:
            return np.zeros(0, dtype=np.float32)
        audio_format, channels, rate, bits, start = found
        if audio_format in (1, 0xFFFE) and bits == 16:
            spec = check_spec(AudioSpec(PCM16, rate, channels), prefix="audio.")
            self._inner = PcmStream(spec)
            head, self._head = self._head[start:], b""
            return self._inner.feed(head)
        self._inner = ContainerStream(AudioSpec("wav"), field=self.field, on_samples=self.on_samples)
        head, self._head = self._head, b""
        return self._inner.feed(head)

    def finish(self) -> np.ndarray:
        if self._inner is None:
            if self._head:
                raise InvalidArgument("the audio is not valid WAV data", reason="invalid_audio", field=self.field)
            return np.zeros(0, dtype=np.float32)
        return self._inner.finish()

    @property
    def container(self) -> ContainerStream | None:
        return self._inner if isinstance(self._inner, ContainerStream) else None

    def abort(self) -> None:
        if self._inner is not None:
            self._inner.abort()


class _Pipe(io.RawIOBase):
    """A blocking byte pipe PyAV reads from on the decoder thread; the event loop writes."""

    def __init__(self) -> None:
        super().__init__()
        self._buffer = bytearray()
        self._closed_for_writing = False
        self._cond = threading.Condition()

    def readable(self) -> bool:
        return True

    def write_bytes(self, data: bytes) -> None:
        with self._cond:
            self._buffer.extend(data)
            self._cond.notify_all()

    def end(self) -> None:
        with self._cond:
            self._closed_for_writing = True
            self._cond.notify_all()

    def abort(self) -> None:
        with self._cond:
            self._buffer.clear()
            self._closed_for_writing = True
            self._cond.notify_all()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        with self._cond:
            while not self._buffer and not self._closed_for_writing:
                self._cond.wait()
            n = min(len(buffer), len(self._buffer))
            buffer[:n] = self._buffer[:n]
            del self._buffer[:n]
            return n


class ContainerStream:
    """A container (WAV, MP3, Ogg, WebM, FLAC) demuxed and decoded as its bytes arrive, on a daemon thread.

    `on_samples` is called from that thread whenever samples are ready (or the stream failed or ended); the
    caller collects them with take(). Errors surface as INVALID_ARGUMENT naming `field`.
    """

    def __init__(self, spec: AudioSpec, *, field: str, on_samples: Callable[[], None]) -> None:
        self.spec = spec
        self.field = field
        self.on_samples = on_samples
        self._pipe = _Pipe()
        self._head = b""
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._parts: list[np.ndarray] = []
        self.error: InvalidArgument | None = None
        self.done = threading.Event()
        self._decoded = 0

    def feed(self, data: bytes) -> np.ndarray:
        if self._thread is None:
            self._head += data
            if len(self._head) < _SNIFF_BYTES:
                return np.zeros(0, dtype=np.float32)
            self._start(container_of(self.spec.encoding, self._head[:_SNIFF_BYTES], field=self.field))
            data, self._head = self._head, b""
        self._pipe.write_bytes(data)
        return self.take()

    def _start(self, container: str) -> None:
        if container == M4A:
            raise InvalidArgument(
                "m4a cannot be streamed (its index comes last): send it as a file, or stream webm, ogg or pcm16",
                reason="unsupported_format",
                field=self.field,
            )
        self._thread = threading.Thread(target=self._run, args=(container,), name="voice-demux", daemon=True)
        self._thread.start()

    def _run(self, container: str) -> None:
        options = {"probesize": "32", "analyzeduration": "0"}
        produced = False
        try:
            with av.open(self._pipe, format=DEMUXERS[container], options=options) as source:
                if not source.streams.audio:
                    raise ValueError("no audio track")
                resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
                for frame in source.decode(source.streams.audio[0]):  # type: ignore[union-attr]
                    self._add([f.to_ndarray().reshape(-1) for f in resampler.resample(frame)])
                    produced = True
                self._add([f.to_ndarray().reshape(-1) for f in resampler.resample(None)])
        except (av.error.FFmpegError, ValueError, EOFError, IndexError, OSError):
            if not produced:
                self.error = InvalidArgument(
                    f"the audio is not valid {container.upper()} data", reason="invalid_audio", field=self.field
                )
        finally:
            self.done.set()
            self.on_samples()

    def _add(self, parts: list[np.ndarray]) -> None:
        if not parts:
            return
        with self._lock:
            self._parts.extend(parts)
        self.on_samples()

    def take(self) -> np.ndarray:
        """Samples decoded since the last take; raises the stream's error once it has one."""
        if self.error is not None:
            raise self.error
        with self._lock:
            parts, self._parts = self._parts, []
        return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, dtype=np.float32)

    def finish(self) -> np.ndarray:
        """Signal the end of input; the caller waits for `done` (off the loop) and then take()s the rest."""
        if self._thread is None:
            if not self._head:
                return np.zeros(0, dtype=np.float32)
            self._start(container_of(self.spec.encoding, self._head, field=self.field))
            self._pipe.write_bytes(self._head)
            self._head = b""
        self._pipe.end()
        return self.take()

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def container(self) -> ContainerStream | None:
        return self

    def abort(self) -> None:
        self._pipe.abort()


StreamDecoder = PcmStream | ContainerStream | WavStream


def stream_decoder(spec: AudioSpec, *, field: str, on_samples: Callable[[], None]) -> StreamDecoder:
    """The incremental decoder for a stream's declared encoding (checked: rate and channels for pcm16)."""
    if spec.encoding == PCM16:
        return PcmStream(check_spec(spec, prefix="config."))
    if spec.encoding == WAV:
        return WavStream(field=field, on_samples=on_samples)
    if spec.encoding == AUTO or spec.encoding in DEMUXERS:
        return ContainerStream(spec, field=field, on_samples=on_samples)
    raise InvalidArgument(f"unsupported audio encoding {spec.encoding}", reason="unsupported_format", field=field)
