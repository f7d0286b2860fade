"""Fairness between companies: round-robin turns at the ingestion compute process, and a per-company task cap."""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class FairScheduler:
    """Grants `slots` turns at a time; waiting companies take turns round-robin, each one's jobs in order.

    A company that has just had a turn goes to the back of the ring, so a company with many queued jobs (a big
    document, or many documents) gets every other turn at most while another company is waiting.
    """

    def __init__(self, *, slots: int = 1) -> None:
        self._free = max(1, slots)
        self._ring: OrderedDict[int, deque[asyncio.Future[None]]] = OrderedDict()

    def waiting(self) -> int:
        """Jobs waiting for a turn."""
        return sum(len(q) for q in self._ring.values())

    @asynccontextmanager
    async def turn(self, company_id: int) -> AsyncIterator[None]:
        """Hold one turn for the block."""
        await self._acquire(company_id)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, company_id: int) -> None:
        if self._free > 0 and not self._ring:
            self._free -= 1
            return
        granted = asyncio.get_running_loop().create_future()
        self._ring.setdefault(company_id, deque()).append(granted)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release()  # granted just before the cancel: pass the turn on
            else:
                self._forget(company_id, granted)
            raise

    def _forget(self, company_id: int, granted: asyncio.Future[None]) -> None:
        queue = self._ring.get(company_id)
        if queue is not None and granted in queue:
            queue.remove(granted)
            if not queue:
                del self._ring[company_id]

    def _release(self) -> None:
        self._free += 1
        while self._free > 0 and self._ring:
            company_id, queue = self._ring.popitem(last=False)
            granted = queue.popleft()
            if queue:
                self._ring[company_id] = queue  # to the back of the ring
            if not granted.done():
                self._free -= 1
                granted.set_result(None)


class CompanyGate:
    """At most `limit` running ingestion tasks per company."""

    def __init__(self, *, limit: int) -> None:
        self.limit = max(1, limit)
        self._running: Counter[int] = Counter()
        self._changed = asyncio.Condition()

    def running(self, company_id: int) -> int:
        return self._running[company_id]

    async def enter(self, company_id: int, *, wait_s: float) -> bool:
        """Take one of the company's slots, waiting up to wait_s; False when none freed up."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: self._running[company_id] < self.limit), wait_s)
            except TimeoutError:
                return False
            self._running[company_id] += 1
            return True

    async def leave(self, company_id: int) -> None:
        """Give a slot back."""
        async with self._changed:
            self._running[company_id] -= 1
            if self._running[company_id] <= 0:
                del self._running[company_id]
            self._changed.notify_all()
