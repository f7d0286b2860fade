"""coalesced(): deltas waiting behind a slow consumer merge by kind; order, errors and cancellation are kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from services.chat.generation.coalesce import MAX_HOLD_S, LoopLag, coalesced
from services.chat.generation.spec import StreamEvent


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


class _Behind(LoopLag):
    """A process far behind: every delta after the first may wait for company."""

    def ensure_running(self) -> None:
        self.lag_s = 1.0

    def hold_s(self) -> float:
        return 30.0  # longer than the test may run: only an end (or another kind) can release the delta


async def test_while_behind_deltas_wait_for_company_but_never_the_first_and_an_end_flushes_them() -> None:
    queue: asyncio.Queue[StreamEvent | None] = asyncio.Queue()

    async def live() -> AsyncIterator[StreamEvent]:
        while (item := await queue.get()) is not None:
            yield item

    stream = coalesced(live(), _Behind())
    await queue.put(event("text", "a"))
    assert (await anext(stream)).text == "a"  # the time to first token is never traded
    await queue.put(event("text", "b"))
    held = asyncio.ensure_future(anext(stream))
    await queue.put(event("text", "c"))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not held.done(), "behind: the delta waits for the next ones"
    await queue.put(event("end"))
    assert (await held).text == "bc"
    assert (await anext(stream)).kind == "end"
    await queue.put(None)


def test_the_hold_follows_the_lag_within_the_gap_bound() -> None:
    gauge = LoopLag()
    assert gauge.hold_s() == 0.0  # keeping up: one delta per message
    gauge.lag_s = 0.003
    assert 0 < gauge.hold_s() <= MAX_HOLD_S
    gauge.lag_s = 5.0
    assert gauge.hold_s() == MAX_HOLD_S
