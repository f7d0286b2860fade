"""Opens a Generate stream, surfaces pre-token failures as HTTP errors, and relays events with keep-alives."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import grpc
from meshconsole.chat.v1 import chat_pb2

from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.errors import MeshError, error_for_code, from_rpc_error

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"}
KEEPALIVE_S = 10.0
# How long a response waits for the first token before it starts anyway (and keep-alives begin).
COMMIT_AFTER_S = 5.0
_END = object()


class GenerationStream:
    """A running Generate call, read by a pump into a buffer from the moment it starts."""

    def __init__(self, call: Any) -> None:
        self.call = call
        self.head: list[chat_pb2.GenerateEvent] = []
        self._buffer: deque[Any] = deque()
        self._ready = asyncio.Event()
        self._pump: asyncio.Task[None] = asyncio.create_task(self._run_pump())

    @property
    def first(self) -> chat_pb2.GenerateEvent:
        return self.head[0]

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

    async def batches(self, *, keepalive_s: float = KEEPALIVE_S) -> AsyncIterator[list[Any] | None]:
        """Lists of whatever arrived together (events, or a final MeshError); None after keepalive_s of silence.

        Sending what piled up during one write as one write keeps the per-token cost flat under load.
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

    async def events(
        self, *, keepalive_s: float = KEEPALIVE_S
    ) -> AsyncIterator[chat_pb2.GenerateEvent | MeshError | None]:
        """The same stream one item at a time, for consumers that collect a whole answer."""
        async for batch in self.batches(keepalive_s=keepalive_s):
            if batch is None:
                yield None
                continue
            for item in batch:
                yield item

    def cancel(self) -> None:
        """Cancel the RPC (the chat service then cancels its upstream request)."""
        self.call.cancel()
        self._pump.cancel()


async def open_generation(
    rpc: Callable[..., Any],
    request: chat_pb2.GenerateRequest,
    *,
    principal: Principal,
    timeout_s: float,
    commit_after_s: float = COMMIT_AFTER_S,
) -> GenerationStream:
    """Start Generate and wait for the first answer: a failure before it raises (an HTTP error in the
    dialect's envelope); a silent upstream past commit_after_s lets the response start, with keep-alives."""
    call = rpc(request, timeout=timeout_s, metadata=grpc_client.outgoing_metadata(principal))
    stream = GenerationStream(call)
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
    """A dialect's stream format: bytes for an event (None to skip it), its error frame and its keep-alive."""

    keepalive: bytes

    def frame(self, event: chat_pb2.GenerateEvent) -> bytes | None: ...

    def error(self, error: MeshError, last: chat_pb2.GenerateEvent | None) -> bytes: ...


async def relay(
    stream: GenerationStream,
    encoder: FrameEncoder,
    *,
    prologue: bytes = b"",
    epilogue: bytes = b"",
    keepalive_s: float = KEEPALIVE_S,
) -> AsyncIterator[bytes]:
    """The one pump behind every streaming route: whatever arrived together goes out as one write, silence
    becomes keep-alives, a failure becomes the dialect's error frame and ends the stream (the epilogue, such
    as OpenAI's `[DONE]`, still follows), and the RPC never outlives the response (done, client gone or error)."""
    last: chat_pb2.GenerateEvent | None = None
    try:
        if prologue:
            yield prologue
        async for batch in stream.batches(keepalive_s=keepalive_s):
            if batch is None:
                yield encoder.keepalive
                continue
            out: list[bytes] = []
            failed: MeshError | None = None
            for item in batch:
                if isinstance(item, MeshError):
                    failed = item
                    break
                if item.WhichOneof("event") == "error":
                    failed = stream_error(item)
                    last = item
                    break
                last = item
                frame = encoder.frame(item)
                if frame:
                    out.append(frame)
            if failed is not None:
                out.append(encoder.error(failed, last))
            if out:
                yield b"".join(out)
            if failed is not None:
                break
        if epilogue:
            yield epilogue
    finally:
        stream.cancel()
