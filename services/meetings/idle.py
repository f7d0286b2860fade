"""Auto-close: every replica sweeps for meetings idle past the timeout; the store makes each close happen once."""

from __future__ import annotations

from datetime import timedelta

import structlog

from services.kit.clock import utcnow
from services.kit.periodic import Periodic
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
        self._sweeps = Periodic(
            self.sweep,
            interval_s=interval_s,
            name="meetings-idle-sweep",
            failure_event="idle_sweep_failed",
            at_start=True,
        )

    async def sweep(self) -> int:
        """One pass; returns how many meetings this replica closed."""
        messages = await self.store.close_idle(idle_before=utcnow() - timedelta(seconds=self.timeout_s))
        closed = sum(1 for m in messages if m.subject.endswith(".closed"))
        if closed:
            log.info("idle_meetings_closed", count=closed)
        await self.outbox.publish(messages)
        return closed

    def start(self) -> None:
        self._sweeps.start()

    async def stop(self) -> None:
        await self._sweeps.stop()
