"""The length of a stored voice object, measured once at upload with PyAV (FFmpeg)."""

from __future__ import annotations

import asyncio
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import av.error
import structlog

from services.files.adapters.base import ObjectBackend

log = structlog.get_logger(__name__)


def audio_duration_ms(path: str | Path) -> int:
    """Milliseconds of audio in the file: from the stream's or container's header, else by decoding; 0 if unreadable."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                return 0
            stream = container.streams.audio[0]
            if stream.duration is not None and stream.time_base is not None:
                return int(stream.duration * Fraction(stream.time_base) * 1000)
            if container.duration is not None:
                return int(container.duration * 1000 // av.time_base)
            # No length in any header (a raw MP3 stream without Xing/Info): count what decodes.
            samples = sum(frame.samples for frame in container.decode(stream) if isinstance(frame, av.AudioFrame))
            return samples * 1000 // stream.rate if stream.rate else 0
    except (av.error.FFmpegError, ValueError, OSError) as error:
        log.warning("audio_length_unreadable", error=str(error))
        return 0


async def measure_stored_audio(backend: ObjectBackend, key: str) -> int:
    """The length in milliseconds of a stored object's audio (read back into a temporary file, not memory)."""
    with tempfile.NamedTemporaryFile(suffix=".audio") as spool:
        try:
            async for chunk in backend.read(key):
                spool.write(chunk)
            spool.flush()
        except Exception as error:  # the length is a nicety: an upload does not fail for want of it
            log.warning("audio_length_unmeasured", key=key, error=repr(error))
            return 0
        return await asyncio.to_thread(audio_duration_ms, spool.name)
