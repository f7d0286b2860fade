"""Opens a Generate stream, surfaces pre-token failures as HTTP errors, and relays events with keep-alives."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from meshconsole.chat.v1 import chat_pb2

from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.errors import MeshError, from_rpc_error

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"}
KEEPALIVE_S = 10.0
_END = object()


class GenerationStream:
    """A running Generate call: the events up to the first answer are read before the response starts."""

    def __init__(self, call: Any, head: list[chat_pb2.GenerateEvent]) -> None:
        self.call = call
        self.head = head
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._pump: asyncio.Task[None] | None = None

    @property
    def first(self) -> chat_pb2.GenerateEvent:
        return self.head[0]

    async def _run_pump(self) -> None:
        try:
            while True:
                message = await self.call.read()
                if message is grpc.aio.EOF:
                    break
                self._queue.put_nowait(message)
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.CANCELLED:
                self._queue.put_nowait(from_rpc_error(error))
        finally:
            self._queue.put_nowait(_END)

    async def events(
        self, *, keepalive_s: float = KEEPALIVE_S
    ) -> AsyncIterator[chat_pb2.GenerateEvent | MeshError | None]:
        """The head, then the rest of the stream; None every keepalive_s of silence; a MeshError if it fails."""
        for event in self.head:
            yield event
        self._pump = asyncio.create_task(self._run_pump())
        queue = self._queue
        while True:
            try:
                async with asyncio.timeout(keepalive_s):
                    item = await queue.get()
            except TimeoutError:
                yield None
                continue
            if item is _END:
                return
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


@contextlib.asynccontextmanager
async def cancel_on_exit(stream: GenerationStream) -> AsyncIterator[GenerationStream]:
    """Whatever ends the response (done, client gone, error), the RPC does not outlive it."""
    try:
        yield stream
    finally:
        stream.cancel()
