"""Merges text deltas that pile up while a gRPC write is in flight, so a fast upstream costs fewer messages."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator

from services.chat.generation.core import StreamEvent

_MERGEABLE = ("text", "reasoning")
_END = object()


async def coalesced(events: AsyncIterator[StreamEvent]) -> AsyncIterator[StreamEvent]:
    """The same events in order; consecutive deltas of one kind already waiting are sent as one."""
    buffer: deque[object] = deque()
    ready = asyncio.Event()

    async def produce() -> None:
        try:
            async for event in events:
                buffer.append(event)
                ready.set()
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # handed to the consumer, which raises it in the RPC
            buffer.append(error)
        finally:
            buffer.append(_END)
            ready.set()

    producer = asyncio.create_task(produce())
    try:
        while True:
            if not buffer:
                ready.clear()
                await ready.wait()
            item = buffer.popleft()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, StreamEvent)
            if item.kind in _MERGEABLE:
                while buffer and isinstance(nxt := buffer[0], StreamEvent) and nxt.kind == item.kind:
                    buffer.popleft()
                    item.text += nxt.text
            yield item
    finally:
        if not producer.done():
            producer.cancel()
            # Let the generation record the partial answer before the RPC goes away.
            await asyncio.gather(producer, return_exceptions=True)
