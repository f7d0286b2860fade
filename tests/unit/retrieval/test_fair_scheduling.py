"""Fair turns between companies at the ingestion compute process, and the per-company task cap."""

from __future__ import annotations

import asyncio

from services.retrieval.pipeline.fair import CompanyGate, FairScheduler


async def test_companies_take_turns_however_many_jobs_one_has_queued() -> None:
    fair = FairScheduler(slots=1)
    order: list[str] = []
    release = asyncio.Event()

    async def job(company: int, name: str) -> None:
        async with fair.turn(company):
            order.append(name)
            await release.wait()

    first = asyncio.create_task(job(1, "a0"))
    await asyncio.sleep(0)
    tasks = [asyncio.create_task(job(1, f"a{i}")) for i in range(1, 5)]
    await asyncio.sleep(0)
    tasks += [asyncio.create_task(job(2, f"b{i}")) for i in range(2)]
    await asyncio.sleep(0)
    assert order == ["a0"] and fair.waiting() == 6
    release.set()
    await asyncio.gather(first, *tasks)
    # Company 2 arrived behind four of company 1's jobs, yet gets every other turn.
    assert order == ["a0", "a1", "b0", "a2", "b1", "a3", "a4"]
    assert fair.waiting() == 0


async def test_a_cancelled_waiter_neither_runs_nor_loses_the_turn() -> None:
    fair = FairScheduler(slots=1)
    order: list[str] = []
    gate = asyncio.Event()

    async def job(company: int, name: str) -> None:
        async with fair.turn(company):
            order.append(name)
            await gate.wait()

    holder = asyncio.create_task(job(1, "held"))
    await asyncio.sleep(0)
    doomed = asyncio.create_task(job(2, "cancelled"))
    after = asyncio.create_task(job(3, "next"))
    await asyncio.sleep(0)
    doomed.cancel()
    gate.set()
    await asyncio.gather(holder, after, return_exceptions=True)
    assert doomed.cancelled() and order == ["held", "next"] and fair.waiting() == 0
    async with asyncio.timeout(1):  # the slot came back
        async with fair.turn(4):
            pass


async def test_the_company_gate_caps_running_tasks_per_company_only() -> None:
    gate = CompanyGate(limit=1)
    assert await gate.enter(1, wait_s=0.1)
    assert not await gate.enter(1, wait_s=0.05)  # company 1 is full: the caller defers its task
    assert await gate.enter(2, wait_s=0.05)  # another company is not held back
    waiting = asyncio.create_task(gate.enter(1, wait_s=5.0))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    await gate.leave(1)
    assert await waiting and gate.running(1) == 1
    await gate.leave(1)
    await gate.leave(2)
    assert gate.running(1) == 0 and gate.running(2) == 0
