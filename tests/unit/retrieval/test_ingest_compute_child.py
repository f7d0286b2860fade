"""The ingestion compute child dies with retrieval, even in the middle of a job."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil

from tests.e2e.process_helpers import survivors, wait_until

REPO_ROOT = Path(__file__).resolve().parents[3]

# Stands in for retrieval: a job that would run for an hour keeps the child busy, then the parent is SIGKILLed.
PARENT = textwrap.dedent(
    """
    import asyncio, sys, time
    from services.retrieval.pipeline.compute import IngestCompute

    async def main() -> None:
        compute = IngestCompute(process=True, nice=0)
        job = asyncio.ensure_future(compute._call(0, time.sleep, 3600))
        await asyncio.sleep(0)
        print("job submitted", flush=True)
        await job

    asyncio.run(main())
    """
)


def test_a_sigkilled_parent_takes_its_busy_compute_child_with_it() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    children: list[psutil.Process] = []
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == "job submitted"
        tracked = psutil.Process(parent.pid)
        children = wait_until(
            lambda: [p for p in tracked.children(recursive=True) if "spawn_main" in " ".join(p.cmdline())],
            timeout_s=60,
            what="the compute child to start",
        )
        parent.kill()
        parent.wait()
        try:
            wait_until(lambda: not survivors(children), timeout_s=30, what="the compute child to end")
        except AssertionError as error:
            raise AssertionError(f"{error}; still running: {survivors(children)}") from None
    finally:
        parent.kill()
        parent.wait()
        for process in children:
            with contextlib.suppress(psutil.Error):
                process.kill()
