"""kit.periodic: runs at its interval, survives a failing run, and stops when asked."""

from __future__ import annotations

import asyncio

from services.kit.periodic import Periodic


async def test_a_failing_run_does_not_end_the_job_and_stop_ends_it() -> None:
    runs: list[int] = []
    third = asyncio.Event()

    async def job() -> None:
        runs.append(len(runs))
        if len(runs) == 3:
            third.set()
        if len(runs) == 1:
            raise RuntimeError("first run fails")

    periodic = Periodic(job, interval_s=0.01, name="test-periodic", failure_event="test_failed", at_start=True)
    periodic.start()
    await asyncio.wait_for(third.wait(), timeout=10)
    await periodic.stop()
    stopped_at = len(runs)
    await asyncio.sleep(0.05)
    assert stopped_at >= 3 and len(runs) == stopped_at


async def test_without_at_start_the_first_run_waits_one_interval() -> None:
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    periodic = Periodic(job, interval_s=3600, name="test-later", failure_event="test_failed")
    periodic.start()
    await asyncio.sleep(0.05)
    assert not ran.is_set()
    await periodic.stop()
