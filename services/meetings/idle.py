"""Auto-close: every replica sweeps for meetings idle past the timeout; the store makes each close happen once."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import structlog

from services.kit.clock import utcnow
from services.meetings.outbox import Outbox
from services.meetings.store import MeetingStore

log = structlog.get_logger(__name__)


class IdleSweeper:
    """Closes open meetings without an upload for timeout_s, checking every interval_s."""

    def __init__(self, *, store: MeetingStore, outbox: Outbox, timeout_s: float, interval_s: float) -> None:
        self.store = store
        self.outbox = outbox
        self.timeout_s = timeout_s
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def sweep(self) -> int:
        """One pass; returns how many meetings this replica closed."""
        messages = await self.store.close_idle(idle_before=utcnow() - timedelta(seconds=self.timeout_s))
        closed = sum(1 for m in messages if m.subject.endswith(".closed"))
        if closed:
            log.info("idle_meetings_closed", count=closed)
        await self.outbox.publish(messages)
        return closed

    async def _run(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("idle_sweep_failed")
            await asyncio.sleep(self.interval_s)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="meetings-idle-sweep")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
