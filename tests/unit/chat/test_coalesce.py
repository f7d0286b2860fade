"""coalesced(): deltas waiting behind a slow consumer merge by kind; order, errors and cancellation are kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from services.chat.generation.coalesce import coalesced
from services.chat.generation.core import StreamEvent


def event(kind: str, text: str = "") -> StreamEvent:
    return StreamEvent(kind=kind, task_id="t", message_id="m", conversation_id="c", created_at=0, text=text)


async def source(*events: StreamEvent, fail: BaseException | None = None) -> AsyncIterator[StreamEvent]:
    for item in events:
        yield item
    if fail is not None:
        raise fail


async def drain_slowly(stream: AsyncIterator[StreamEvent]) -> list[tuple[str, str]]:
    """Consume after the producer has queued everything, as a consumer stuck on a gRPC write would."""
    out: list[tuple[str, str]] = []
    async for item in stream:
        out.append((item.kind, item.text))
        for _ in range(5):  # let the producer run ahead
            await asyncio.sleep(0)
    return out


async def test_waiting_deltas_of_one_kind_merge_and_kinds_keep_their_order() -> None:
    events = [
        event("start"),
        event("reasoning", "th"),
        event("reasoning", "ink"),
        event("text", "a"),
        event("text", "b"),
        event("text", "c"),
        event("end"),
    ]
    got = await drain_slowly(coalesced(source(*events)))
    assert got[0] == ("start", "")
    assert got[-1] == ("end", "")
    assert "".join(t for k, t in got if k == "reasoning") == "think"
    assert "".join(t for k, t in got if k == "text") == "abc"
    kinds = [k for k, _ in got]
    assert kinds.index("reasoning") < kinds.index("text")
    assert len(got) < len(events), "deltas that waited were merged"


async def test_empty_deltas_pass_through_without_changing_the_text() -> None:
    got = await drain_slowly(coalesced(source(event("text", ""), event("text", "x"), event("text", ""))))
    assert "".join(t for _, t in got) == "x"


async def test_a_consumer_that_keeps_up_gets_every_delta_as_it_came() -> None:
    queue: asyncio.Queue[StreamEvent | None] = asyncio.Queue()

    async def live() -> AsyncIterator[StreamEvent]:
        while (item := await queue.get()) is not None:
            yield item

    stream = coalesced(live())
    seen: list[str] = []
    for piece in ("one", "two", "three"):
        await queue.put(event("text", piece))
        seen.append((await anext(stream)).text)
    await queue.put(None)
    assert seen == ["one", "two", "three"]
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


async def test_a_producer_error_reaches_the_consumer_after_what_came_before() -> None:
    stream = coalesced(source(event("text", "partial"), fail=RuntimeError("upstream broke")))
    first = await anext(stream)
    assert first.text == "partial"
    with pytest.raises(RuntimeError, match="upstream broke"):
        await anext(stream)


async def test_closing_the_consumer_cancels_the_producer_and_waits_for_it() -> None:
    finished = asyncio.Event()

    async def endless() -> AsyncIterator[StreamEvent]:
        try:
            while True:
                yield event("text", "x")
                await asyncio.sleep(0.001)
        finally:
            finished.set()  # the generation's own cleanup (recording the partial answer) ran

    stream = coalesced(endless())
    await anext(stream)
    await stream.aclose()  # type: ignore[attr-defined]
    assert finished.is_set()
