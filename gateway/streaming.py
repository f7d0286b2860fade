"""Opens a Generate stream, surfaces pre-token failures as HTTP errors, and relays events with keep-alives."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import grpc
from meshconsole.chat.v1 import chat_pb2

from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.errors import MeshError, error_for_code, from_rpc_error

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"}
KEEPALIVE_S = 10.0
_END = object()


class GenerationStream:
    """A running Generate call: the events up to the first answer are read before the response starts."""

    def __init__(self, call: Any, head: list[chat_pb2.GenerateEvent]) -> None:
        self.call = call
        self.head = head
        self._buffer: deque[Any] = deque()
        self._ready = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None

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

    async def batches(self, *, keepalive_s: float = KEEPALIVE_S) -> AsyncIterator[list[Any] | None]:
        """Lists of whatever arrived together (events, or a final MeshError); None after keepalive_s of silence.

        Sending what piled up during one write as one write keeps the per-token cost flat under load.
        """
        yield list(self.head)
        self._pump = asyncio.create_task(self._run_pump())
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
        if self._pump is not None:
            self._pump.cancel()


async def open_generation(
    rpc: Callable[..., Any], request: chat_pb2.GenerateRequest, *, principal: Principal, timeout_s: float
) -> GenerationStream:
    """Start Generate and read until the first answer, end or error event; a failure before that raises."""
    call = rpc(request, timeout=timeout_s, metadata=grpc_client.outgoing_metadata(principal))
    head: list[chat_pb2.GenerateEvent] = []
    try:
        while True:
            message = await call.read()
            if message is grpc.aio.EOF:
                break
            head.append(message)
            if message.WhichOneof("event") != "message_start":
                break
    except grpc.aio.AioRpcError as error:
        raise from_rpc_error(error) from None
    except BaseException:
        call.cancel()
        raise
    if not head:
        raise MeshError("generation ended without events", reason="empty_stream")
    return GenerationStream(call, head)


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


@contextlib.asynccontextmanager
async def cancel_on_exit(stream: GenerationStream) -> AsyncIterator[GenerationStream]:
    """Whatever ends the response (done, client gone, error), the RPC does not outlive it."""
    try:
        yield stream
    finally:
        stream.cancel()
