"""How far behind this process runs (event-loop lag), and how long a delta may wait for company because of it."""

from __future__ import annotations

import asyncio
import time

# The longest a delta waits for company: the gap a client sees grows by at most this, never past the goal of 50 ms.
MAX_HOLD_S = 0.025
MIN_HOLD_S = 0.005
# Event-loop lag under which the process counts as keeping up (no holding at all).
KEEPING_UP_S = 0.002


class LoopLag:
    """How late this process's event loop runs its callbacks (a smoothed average), measured by a 10 ms ticker."""

    def __init__(self, interval_s: float = 0.01) -> None:
        self.interval_s = interval_s
        self.lag_s = 0.0
        self._task: asyncio.Task[None] | None = None

    def ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._tick(), name="loop-lag")

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.interval_s)
            late = max(0.0, time.perf_counter() - before - self.interval_s)
            self.lag_s += (late - self.lag_s) * 0.2

    def hold_s(self) -> float:
        """How long a delta may wait for more: none when keeping up, longer the further behind, within the bound."""
        if self.lag_s < KEEPING_UP_S:
            return 0.0
        return min(MAX_HOLD_S, max(MIN_HOLD_S, 4 * self.lag_s))


LAG = LoopLag()
