"""A bounded worker pool for CPU-bound speech work: a few threads, a short queue, RESOURCE_EXHAUSTED beyond it."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import structlog

from services.kit.errors import ResourceExhausted

log = structlog.get_logger(__name__)
T = TypeVar("T")


class Cancelled(Exception):
    """Raised inside a job whose caller went away (checked between pieces of work)."""


class CancelToken:
    """Set when the caller of a job is gone; long jobs check it between pieces."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()


def busy(retry_after_s: float, what: str = "speech") -> ResourceExhausted:
    """The answer when the pool is full: the gateway turns it into 429 with Retry-After."""
    return ResourceExhausted(
        f"the voice service is busy with other {what} work; retry shortly",
        reason="voice_busy",
        metadata={"retry_after_s": f"{retry_after_s:g}"},
    )


class WorkerPool:
    """`workers` threads run jobs; at most `queue` more wait. Streams hold a slot of their own (max_streams).

    Jobs are plain functions run on the threads (CTranslate2, ONNX Runtime and PyAV release the GIL), so the
    event loop stays free. A job whose caller is cancelled gets its CancelToken set; one still waiting is dropped.
    """

    def __init__(self, *, workers: int, queue: int, max_streams: int, retry_after_s: float) -> None:
        self.workers = max(1, workers)
        self.queue = max(0, queue)
        self.max_streams = max(1, max_streams)
        self.retry_after_s = retry_after_s
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="voice-worker")
        self._admitted = 0
        self._streams = 0

    @property
    def admitted(self) -> int:
        """Jobs running or waiting."""
        return self._admitted

    @property
    def streams(self) -> int:
        return self._streams

    def has_room(self) -> bool:
        return self._admitted < self.workers + self.queue

    async def run(self, fn: Callable[[CancelToken], T], *, force: bool = False) -> T:
        """Run fn(token) on a worker; RESOURCE_EXHAUSTED when workers and queue are full (unless force)."""
        if not force and not self.has_room():
            raise busy(self.retry_after_s)
        self._admitted += 1
        token = CancelToken()
        future = asyncio.get_running_loop().run_in_executor(self._executor, _guarded, fn, token)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            token.cancel()
            raise
        finally:
            if future.done():
                self._admitted -= 1
            else:
                future.add_done_callback(self._release)

    def _release(self, future: asyncio.Future[Any]) -> None:
        self._admitted -= 1
        if not future.cancelled() and future.exception() is not None:
            log.debug("abandoned_job_failed", error=repr(future.exception()))

    @contextlib.asynccontextmanager
    async def stream_slot(self) -> AsyncIterator[None]:
        """Hold one of max_streams streaming slots for a session; RESOURCE_EXHAUSTED when none is free."""
        if self._streams >= self.max_streams:
            raise busy(self.retry_after_s, "streaming")
        self._streams += 1
        try:
            yield
        finally:
            self._streams -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _guarded(fn: Callable[[CancelToken], T], token: CancelToken) -> T:
    token.check()  # dropped while it waited
    return fn(token)
