"""The one stream pump: any gRPC server stream relayed as bytes, with batching, keep-alives, errors and cancel."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import grpc
from fastapi.responses import StreamingResponse
from meshconsole.chat.v1 import chat_pb2

from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.errors import MeshError, ResourceExhausted, error_for_code, from_rpc_error

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"}
KEEPALIVE_S = 10.0
# How long a response waits for the first token before it starts anyway (and keep-alives begin).
COMMIT_AFTER_S = 5.0
_END = object()
M = TypeVar("M")
M_contra = TypeVar("M_contra", contravariant=True)
STREAM_RETRY_AFTER_S = 1


class StreamSlots:
    """Generation streams this gateway process relays at once; past the limit a new one is refused at once (429 with
    Retry-After) rather than slowing every stream down. 0 means no limit."""

    def __init__(self, limit: int = 0) -> None:
        self.limit = limit
        self.open = 0

    def take(self) -> Callable[..., None]:
        """Take a slot; returns its release, which may be called any number of times."""
        if self.limit and self.open >= self.limit:
            raise ResourceExhausted(
                f"this gateway is relaying its limit of {self.limit} streams; retry shortly",
                reason="too_many_streams",
                metadata={"retry_after_s": str(STREAM_RETRY_AFTER_S)},
            )
        self.open += 1
        released = False

        def release(*_: object) -> None:
            nonlocal released
            if not released:
                released = True
                self.open -= 1

        return release


# Set from MESH_GATEWAY_MAX_STREAMS when the app is built (gateway.main.create_app).
STREAM_SLOTS = StreamSlots()


class EventStreamResponse(StreamingResponse):
    """A server-sent events response; as a route's response_class it names text/event-stream in OpenAPI."""

    media_type = "text/event-stream"


class ServerStream(Generic[M]):
    """A running gRPC server-streaming call, read into a buffer by a task from the moment it starts."""

    def __init__(self, call: Any) -> None:
        self.call = call
        self._buffer: deque[Any] = deque()
        self._ready = asyncio.Event()
        self._pump: asyncio.Task[None] = asyncio.create_task(self._run_pump())

    async def _run_pump(self) -> None:
        buffer, ready = self._buffer, self._ready
        try:
            while True:
                message = await self.call.read()
                if message is grpc.aio.EOF:
                    break
                buffer.append(message)
                ready.set()
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.CANCELLED:
                buffer.append(from_rpc_error(error))
        finally:
            buffer.append(_END)
            ready.set()

    async def batches(self, *, keepalive_s: float = KEEPALIVE_S) -> AsyncIterator[list[M | MeshError] | None]:
        """Lists of whatever arrived together (messages, or a final MeshError); None after keepalive_s of silence.

        Sending what piled up during one write as one write keeps the per-message cost flat under load.
        """
        buffer, ready = self._buffer, self._ready
        while True:
            if not buffer:
                ready.clear()
                try:
                    async with asyncio.timeout(keepalive_s):
                        await ready.wait()
                except TimeoutError:
                    yield None
                    continue
            batch = list(buffer)
            buffer.clear()
            if batch[-1] is _END:
                if len(batch) > 1:
                    yield batch[:-1]
                return
            yield batch

    async def items(self, *, keepalive_s: float = KEEPALIVE_S) -> AsyncIterator[M | MeshError | None]:
        """The same stream one item at a time, for consumers that collect a whole answer."""
        async for batch in self.batches(keepalive_s=keepalive_s):
            if batch is None:
                yield None
                continue
            for item in batch:
                yield item

    def cancel(self) -> None:
        """Cancel the RPC (the service then cancels whatever it runs for it)."""
        self.call.cancel()
        self._pump.cancel()


class StreamEncoder(Protocol[M_contra]):
    """A stream's wire format: bytes for a message (None to skip it; MeshError raised for an in-band failure
    that ends the stream), the error frame, the keep-alive, and what closes the stream."""

    keepalive: bytes

    def frame(self, message: M_contra) -> bytes | None: ...

    def error(self, error: MeshError) -> bytes: ...

    def end(self, *, failed: bool) -> bytes: ...


async def pump(
    stream: ServerStream[M], encoder: StreamEncoder[M], *, prologue: bytes = b"", keepalive_s: float = KEEPALIVE_S
) -> AsyncGenerator[bytes, None]:
    """The one pump behind every streaming route: whatever arrived together goes out as one write, silence
    becomes keep-alives, a failure becomes the encoder's error frame and ends the stream (its end frame still
    follows), and the RPC never outlives the response (done, client gone or error)."""
    failed = False
    try:
        if prologue:
            yield prologue
        async for batch in stream.batches(keepalive_s=keepalive_s):
            if batch is None:
                yield encoder.keepalive
                continue
            out: list[bytes] = []
            for item in batch:
                try:
                    if isinstance(item, MeshError):
                        raise item
                    frame = encoder.frame(item)
                except MeshError as error:
                    out.append(encoder.error(error))
                    failed = True
                    break
                if frame:
                    out.append(frame)
            if out:
                yield b"".join(out)
            if failed:
                break
        closing = encoder.end(failed=failed)
        if closing:
            yield closing
    finally:
        stream.cancel()


class GenerationStream(ServerStream[chat_pb2.GenerateEvent]):
    """A running Generate call, whose head (the message_start) is awaited before the response starts."""

    def __init__(self, call: Any, release: Callable[..., None] | None = None) -> None:
        super().__init__(call)
        self.head: list[chat_pb2.GenerateEvent] = []
        self.release = release or (lambda *_: None)
        # The slot is free once the call is over, whoever ends it (done, cancelled, or a response never started).
        if hasattr(call, "add_done_callback"):
            call.add_done_callback(self.release)

    def cancel(self) -> None:
        super().cancel()
        self.release()

    @property
    def first(self) -> chat_pb2.GenerateEvent:
        return self.head[0]

    def _first_answer(self) -> Any:
        """The first buffered item that is not a message_start (an event, a MeshError or the end), if any."""
        for item in self._buffer:
            if not isinstance(item, chat_pb2.GenerateEvent) or item.WhichOneof("event") != "message_start":
                return item
        return None

    async def wait_head(self, *, commit_after_s: float) -> None:
        """Wait for the first answer, the end or a failure (raised), but no longer than commit_after_s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + commit_after_s
        while self._first_answer() is None:
            remaining = deadline - loop.time()
            if remaining <= 0 and self._buffer:
                break  # only message_start so far: start the response and keep it alive
            self._ready.clear()
            try:
                async with asyncio.timeout(remaining if remaining > 0 else None):
                    await self._ready.wait()
            except TimeoutError:
                continue
        first_answer = self._first_answer()
        if isinstance(first_answer, MeshError):
            raise first_answer
        events = [i for i in self._buffer if isinstance(i, chat_pb2.GenerateEvent)]
        if not events:
            raise MeshError("generation ended without events", reason="empty_stream")
        self.head = events[:1]

    def events(self, *, keepalive_s: float = KEEPALIVE_S) -> AsyncIterator[chat_pb2.GenerateEvent | MeshError | None]:
        return self.items(keepalive_s=keepalive_s)


async def open_generation(
    rpc: Callable[..., Any],
    request: chat_pb2.GenerateRequest,
    *,
    principal: Principal,
    timeout_s: float,
    commit_after_s: float = COMMIT_AFTER_S,
) -> GenerationStream:
    """Start Generate and wait for the first answer: a failure before it raises (an HTTP error in the
    dialect's envelope); a silent upstream past commit_after_s lets the response start, with keep-alives.
    Past the gateway's stream limit it raises ResourceExhausted at once (429 with Retry-After)."""
    release = STREAM_SLOTS.take()
    try:
        call = rpc(request, timeout=timeout_s, metadata=grpc_client.outgoing_metadata(principal))
    except BaseException:
        release()
        raise
    stream = GenerationStream(call, release)
    try:
        await stream.wait_head(commit_after_s=commit_after_s)
    except BaseException:
        stream.cancel()
        raise
    return stream


@dataclass
class WholeAnswer:
    """A stream collected for clients that asked for one reply."""

    first: chat_pb2.GenerateEvent
    text: str
    reasoning: str
    end: chat_pb2.MessageEnd | None


def stream_error(event: chat_pb2.GenerateEvent) -> MeshError:
    """The MeshError an error event stands for, with the status class its gRPC code names."""
    return error_for_code(event.error.grpc_code, event.error.message, reason=event.error.reason)


async def collect(stream: GenerationStream) -> WholeAnswer:
    """Read a stream to its end; a failure at any point raises, so the client gets the dialect's error."""
    text: list[str] = []
    reasoning: list[str] = []
    end: chat_pb2.MessageEnd | None = None
    try:
        async for item in stream.events(keepalive_s=3600):
            if isinstance(item, MeshError):
                raise item
            if item is None:
                continue
            kind = item.WhichOneof("event")
            if kind == "text_delta":
                text.append(item.text_delta.text)
            elif kind == "reasoning_delta":
                reasoning.append(item.reasoning_delta.text)
            elif kind == "message_end":
                end = item.message_end
            elif kind == "error":
                raise stream_error(item)
    finally:
        stream.cancel()
    return WholeAnswer(first=stream.first, text="".join(text), reasoning="".join(reasoning), end=end)


class FrameEncoder(Protocol):
    """A chat dialect's stream format: bytes for an event (None to skip it), its error frame and its keep-alive."""

    keepalive: bytes

    def frame(self, event: chat_pb2.GenerateEvent) -> bytes | None: ...

    def error(self, error: MeshError, last: chat_pb2.GenerateEvent | None) -> bytes: ...


class _GenerateFrames:
    """A chat FrameEncoder as a StreamEncoder: an error event ends the stream, and the error frame is told the
    last event (the error event itself when there is one: it carries the turn's ids)."""

    def __init__(self, encoder: FrameEncoder, epilogue: bytes) -> None:
        self.encoder = encoder
        self.keepalive = encoder.keepalive
        self.epilogue = epilogue
        self.last: chat_pb2.GenerateEvent | None = None

    def frame(self, message: chat_pb2.GenerateEvent) -> bytes | None:
        self.last = message
        if message.WhichOneof("event") == "error":
            raise stream_error(message)
        return self.encoder.frame(message)

    def error(self, error: MeshError) -> bytes:
        return self.encoder.error(error, self.last)

    def end(self, *, failed: bool) -> bytes:
        return self.epilogue  # OpenAI's `[DONE]` follows an error frame too


def relay(
    stream: GenerationStream,
    encoder: FrameEncoder,
    *,
    prologue: bytes = b"",
    epilogue: bytes = b"",
    keepalive_s: float = KEEPALIVE_S,
) -> AsyncGenerator[bytes, None]:
    """A Generate stream through the pump, in a chat dialect's frames, between prologue and epilogue."""
    return pump(stream, _GenerateFrames(encoder, epilogue), prologue=prologue, keepalive_s=keepalive_s)
