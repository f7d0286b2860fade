"""A job run every few seconds in one background task, which a failing run does not end."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


class Periodic:
    """Runs job every interval_s (the first run at once with at_start, else after one interval) until stop()."""

    def __init__(
        self,
        job: Callable[[], Awaitable[object]],
        *,
        interval_s: float,
        name: str,
        failure_event: str,
        at_start: bool = False,
    ) -> None:
        self.job = job
        self.interval_s = interval_s
        self.name = name
        self.failure_event = failure_event
        self.at_start = at_start
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        if not self.at_start:
            await asyncio.sleep(self.interval_s)
        while True:
            try:
                await self.job()
            except Exception:
                log.exception(self.failure_event, job=self.name)
            await asyncio.sleep(self.interval_s)

    def start(self) -> None:
        """Start the background task (idempotent while it runs)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Cancel the background task and wait for it (a run in progress is cancelled)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
