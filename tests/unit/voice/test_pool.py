"""The bounded worker pool: RESOURCE_EXHAUSTED when full, cancellation reaches the job."""

from __future__ import annotations

import asyncio
import threading

import pytest

from services.kit.errors import ResourceExhausted
from services.voice.pool import CancelToken, WorkerPool


async def test_a_full_pool_answers_resource_exhausted_with_a_retry_hint() -> None:
    pool = WorkerPool(workers=1, queue=1, max_streams=1, retry_after_s=3)
    release = threading.Event()
    running = [asyncio.ensure_future(pool.run(lambda _: release.wait(10))) for _ in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(ResourceExhausted) as caught:
        await pool.run(lambda _: None)
    assert caught.value.reason == "voice_busy" and caught.value.metadata == {"retry_after_s": "3"}
    release.set()
    assert await asyncio.gather(*running) == [True, True]
    assert pool.admitted == 0 and await pool.run(lambda _: 7) == 7
    async with pool.stream_slot():
        with pytest.raises(ResourceExhausted):
            async with pool.stream_slot():
                pass
    assert pool.streams == 0
    pool.close()


async def test_cancelling_the_caller_cancels_the_job() -> None:
    pool = WorkerPool(workers=1, queue=0, max_streams=1, retry_after_s=1)
    started, seen = threading.Event(), threading.Event()

    def job(token: CancelToken) -> None:
        started.set()
        while not token.cancelled:
            threading.Event().wait(0.01)
        seen.set()

    task = asyncio.ensure_future(pool.run(job))
    assert await asyncio.to_thread(started.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(seen.wait, 10)
    for _ in range(100):
        if pool.admitted == 0:
            break
        await asyncio.sleep(0.01)
    assert pool.admitted == 0
    pool.close()
