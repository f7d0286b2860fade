"""Streaming transcription for any STT engine: Silero VAD endpointing, partial transcripts, final timed segments."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np
import structlog

from services.kit.errors import InvalidArgument, MeshError
from services.voice.audio.decode import SAMPLE_RATE, AudioSpec
from services.voice.audio.stream import StreamDecoder, stream_decoder
from services.voice.engines.base import SttEngine

log = structlog.get_logger(__name__)
WINDOW = 512  # Silero VAD's window: 32 ms at 16 kHz
SPEECH = 0.5
PAD = SAMPLE_RATE // 5  # 200 ms of context kept around speech
MIN_PARTIAL = int(0.5 * SAMPLE_RATE)  # speech before the first partial: enough for a word
RETRY_PARTIAL = int(0.25 * SAMPLE_RATE)  # new audio before another try when a partial heard nothing yet


@dataclass(frozen=True)
class StreamEvent:
    text: str
    is_final: bool
    start_ms: int
    end_ms: int
    language: str


@dataclass(frozen=True)
class StreamLimits:
    max_frame_bytes: int
    max_session_s: float
    endpoint_silence_ms: int
    max_segment_s: float
    idle_timeout_s: float


class SpeechProbabilities:
    """Silero VAD probabilities per 32 ms window of the whole stream, computed as samples arrive."""

    def __init__(self) -> None:
        from faster_whisper.vad import get_vad_model

        self._model = get_vad_model()
        self._pending = np.zeros(0, dtype=np.float32)
        self.probs: list[float] = []

    def add(self, samples: np.ndarray) -> None:
        self._pending = np.concatenate([self._pending, samples])
        whole = len(self._pending) - len(self._pending) % WINDOW
        if whole:
            out = self._model(self._pending[:whole])
            self.probs.extend(float(p) for p in np.asarray(out).reshape(-1)[: whole // WINDOW])
            self._pending = self._pending[whole:]

    def speech_windows(self, start: int) -> list[int]:
        """Indices of windows at or after sample `start` that hold speech."""
        first = start // WINDOW
        return [first + i for i, p in enumerate(self.probs[first:]) if p >= SPEECH]


class Session:
    """The audio of one stream so far, and what has been committed as final."""

    def __init__(self, *, engine: SttEngine, language: str, interim: bool, limits: StreamLimits) -> None:
        self.engine = engine
        self.language = language
        self.fixed_language = bool(language)
        self.interim = interim
        self.limits = limits
        self.vad = SpeechProbabilities()
        self.buffer = np.zeros(0, dtype=np.float32)
        self.base = 0  # absolute sample index of buffer[0]
        self.partial_at = 0
        self.last_partial = ""
        self.finals = 0
        self.ended = False
        self.error: MeshError | None = None
        self.wake = asyncio.Event()

    @property
    def total(self) -> int:
        return self.base + len(self.buffer)

    def push(self, samples: np.ndarray) -> None:
        if len(samples):
            self.buffer = np.concatenate([self.buffer, samples])
            self.vad.add(samples)
            if self.total > self.limits.max_session_s * SAMPLE_RATE:
                raise InvalidArgument(
                    f"the stream is longer than {self.limits.max_session_s:g} seconds, the most one session may last",
                    reason="session_too_long",
                    field="audio",
                )
            self.wake.set()

    def fail(self, error: MeshError) -> None:
        self.error = self.error or error
        self.end()

    def end(self) -> None:
        self.ended = True
        self.wake.set()

    def _drop_until(self, index: int) -> None:
        index = max(self.base, min(index, self.total))
        self.buffer = self.buffer[index - self.base :]
        self.base = index

    def next_step(self) -> tuple[str, int]:
        """("final", cut) / ("partial", end) / ("wait", 0) / ("done", 0) from the VAD and what has arrived."""
        speech = self.vad.speech_windows(self.base)
        if not speech:
            if self.ended:
                return ("done", 0)
            self._drop_until(self.total - PAD)  # keep a little silence before speech starts
            return ("wait", 0)
        speech_end = (speech[-1] + 1) * WINDOW
        if self.ended:
            return ("final", self.total)
        if self.total - speech_end >= self.limits.endpoint_silence_ms * SAMPLE_RATE // 1000:
            return ("final", min(self.total, speech_end + PAD))
        start = max(self.base, speech[0] * WINDOW - PAD)
        if self.total - start >= self.limits.max_segment_s * SAMPLE_RATE:
            return ("final", self.total)
        step = RETRY_PARTIAL if not self.last_partial else self.engine.partial_interval_s * SAMPLE_RATE
        due = self.total - self.partial_at >= step
        if self.interim and due and speech_end - speech[0] * WINDOW >= MIN_PARTIAL:
            return ("partial", self.total)
        return ("wait", 0)

    def _learn(self, language: str, samples: int) -> None:
        # Partials keep the first guess (one detection per session, not per partial); finals, on more audio, decide.
        if not self.fixed_language and language and (not self.language or samples >= SAMPLE_RATE):
            self.language = language

    async def final(self, cut: int) -> list[StreamEvent]:
        start = self.base
        audio = self.buffer[: cut - self.base].copy()
        result = await self.engine.transcribe(audio, language=self.language if self.fixed_language else "")
        self._drop_until(cut)
        self.partial_at, self.last_partial = self.total, ""
        self._learn(result.language, len(audio))
        offset = start * 1000 // SAMPLE_RATE
        events = [
            StreamEvent(s.text, True, offset + s.start_ms, offset + s.end_ms, result.language) for s in result.segments
        ]
        self.finals += len(events)
        return events

    async def partial(self, end: int) -> StreamEvent | None:
        self.partial_at = end
        audio = self.buffer[: end - self.base].copy()
        result = await self.engine.transcribe(audio, language=self.language, quick=True)
        self._learn(result.language, len(audio))
        if not result.text or result.text == self.last_partial:
            return None
        self.last_partial = result.text
        return StreamEvent(
            result.text, False, self.base * 1000 // SAMPLE_RATE, end * 1000 // SAMPLE_RATE, result.language
        )


async def _read(session: Session, spec: AudioSpec, chunks: AsyncIterator[bytes]) -> None:
    """Decode incoming frames into the session; any failure ends the session with it."""
    loop = asyncio.get_running_loop()
    limits = session.limits
    decoder: StreamDecoder | None = None

    def pull() -> None:
        if session.ended and session.error is not None:
            return
        container = decoder.container if decoder is not None else None
        if container is None:
            return
        try:
            session.push(container.take())
        except MeshError as error:
            session.fail(error)

    def wake() -> None:
        loop.call_soon_threadsafe(pull)

    deadline = time.monotonic() + limits.max_session_s + 30.0
    try:
        decoder = stream_decoder(spec, field="audio.data", on_samples=wake)
        iterator = chunks.__aiter__()
        while True:
            try:
                data = await asyncio.wait_for(anext(iterator, None), timeout=limits.idle_timeout_s)
            except TimeoutError:
                raise InvalidArgument(
                    f"no audio for {limits.idle_timeout_s:g} seconds", reason="stream_idle", field="audio"
                ) from None
            if data is None:
                break
            if len(data) > limits.max_frame_bytes:
                raise InvalidArgument(
                    f"an audio frame may carry at most {limits.max_frame_bytes} bytes",
                    reason="frame_too_large",
                    field="audio.data",
                )
            if time.monotonic() > deadline:
                raise InvalidArgument("the session lasted too long", reason="session_too_long", field="audio")
            session.push(decoder.feed(data))
        session.push(decoder.finish())
        container = decoder.container
        if container is not None and container.started:
            await asyncio.to_thread(container.done.wait, 30.0)
            session.push(container.take())
        if session.total == 0:
            raise InvalidArgument("the stream carried no audio", reason="empty_audio", field="audio")
    except MeshError as error:
        session.fail(error)
    finally:
        if decoder is not None:
            decoder.abort()
        session.end()


async def transcribe_stream(
    *,
    engine: SttEngine,
    spec: AudioSpec,
    language: str,
    interim: bool,
    limits: StreamLimits,
    chunks: AsyncIterator[bytes],
) -> AsyncIterator[StreamEvent]:
    """Events for a stream of audio frames: partials while audio arrives, finals at pauses and at the end.

    A stream with no speech at all ends with one empty final event. Errors (bad audio, limits) are raised after
    the events already produced; cancelling the consumer cancels the reader and any running transcription.
    """
    session = Session(engine=engine, language=language, interim=interim, limits=limits)
    reader = asyncio.create_task(_read(session, spec, chunks))
    try:
        while True:
            if session.error is not None:
                raise session.error
            step, at = session.next_step()
            if step == "done":
                break
            if step == "final":
                for event in await session.final(at):
                    yield event
            elif step == "partial":
                partial = await session.partial(at)
                if partial is not None:
                    yield partial
            else:
                session.wake.clear()
                await session.wake.wait()
        if session.error is not None:
            raise session.error
        if session.finals == 0:
            yield StreamEvent("", True, 0, session.total * 1000 // SAMPLE_RATE, session.language)
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
