"""A service process ends after shutdown even when a task ignores cancellation (asyncio.run would wait forever)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]

SERVICE = textwrap.dedent(
    """
    import asyncio
    from services.kit.logging import configure_logging
    from services.kit.service_main import run_until_stopped

    async def stubborn() -> None:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                continue  # the bug this guards against: a loop that swallows its cancellation

    async def polite() -> None:
        await asyncio.sleep(3600)

    async def main() -> None:
        asyncio.create_task(stubborn(), name="stubborn")
        asyncio.create_task(polite(), name="polite")
        await asyncio.sleep(0)

    configure_logging(service="exit-test", level="INFO", log_format="json")
    run_until_stopped(main, leftover_timeout_s=0.5)
    print("exited", flush=True)
    """
)


def test_a_task_that_swallows_cancellation_is_named_and_does_not_keep_the_process_alive() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SERVICE], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "exited" in done.stdout.splitlines(), done.stdout[-2000:]
    logs = done.stdout + done.stderr
    stuck = [line for line in logs.splitlines() if "tasks_ignored_cancellation" in line]
    assert len(stuck) == 1 and "stubborn" in stuck[0] and "polite" not in stuck[0], logs[-2000:]


async def test_leftover_tasks_that_end_when_cancelled_are_not_reported() -> None:
    from services.kit.service_main import cancel_leftover_tasks

    sleeper = asyncio.create_task(asyncio.sleep(3600), name="sleeper")
    await asyncio.sleep(0)
    assert await cancel_leftover_tasks(timeout_s=5) == []
    assert sleeper.cancelled()
