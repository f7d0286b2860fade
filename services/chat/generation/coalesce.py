"""Adaptive coalescing: one delta per message while the process keeps up, batches of them when it falls behind."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator

from services.chat.generation.pacing import LAG, MAX_HOLD_S, LoopLag
from services.chat.generation.spec import StreamEvent

__all__ = ["MAX_HOLD_S", "LoopLag", "coalesced"]

_MERGEABLE = ("text", "reasoning")
_END = object()


async def coalesced(events: AsyncIterator[StreamEvent], lag: LoopLag = LAG) -> AsyncIterator[StreamEvent]:
    """The same events in order; consecutive deltas of one kind are merged when they are already waiting, or, while
    the process is behind, when they arrive within a short hold after the previous message."""
    lag.ensure_running()
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
    loop = asyncio.get_running_loop()
    sent_text_at = 0.0  # when the last delta went out; 0 before the first one
    try:
        while True:
            if not buffer:
                ready.clear()
                await ready.wait()
            item = buffer[0]
            if isinstance(item, StreamEvent) and item.kind in _MERGEABLE and sent_text_at:
                # Behind: the next deltas get until `hold` after the previous message to join this one.
                until = sent_text_at + lag.hold_s()
                if until > loop.time():
                    await _wait_more(buffer, ready, until)
            item = buffer.popleft()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, StreamEvent)
            if item.kind in _MERGEABLE:
                # Never the first delta: the time to first token is not traded for fewer messages.
                sent_text_at = loop.time()
                while buffer and isinstance(nxt := buffer[0], StreamEvent) and nxt.kind == item.kind:
                    buffer.popleft()
                    item.text += nxt.text
            yield item
    finally:
        if not producer.done():
            producer.cancel()
            # Let the generation record the partial answer before the RPC goes away.
            await asyncio.gather(producer, return_exceptions=True)


async def _wait_more(buffer: deque[object], ready: asyncio.Event, deadline: float) -> None:
    """Wait until the deadline (loop time) or until something that cannot be merged arrives (end, error, thought)."""
    loop = asyncio.get_running_loop()
    first = buffer[0]
    assert isinstance(first, StreamEvent)
    while (left := deadline - loop.time()) > 0:
        last = buffer[-1]
        if not (isinstance(last, StreamEvent) and last.kind == first.kind):
            return
        ready.clear()
        try:
            async with asyncio.timeout(left):
                await ready.wait()
        except TimeoutError:
            return
