"""Publishes the jobs and events that transactions wrote to the outbox; a relay retries what NATS did not take."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import nats.errors
import orjson
import structlog
from nats.js import JetStreamContext

from services.kit.nats import request_headers
from services.meetings.models import OutboxMessage
from services.meetings.progress import Progress

log = structlog.get_logger(__name__)


class Outbox:
    """At-least-once onto JetStream; the row id is the Nats-Msg-Id, so a retry (or a second replica) is no duplicate."""

    def __init__(self, progress: Progress, js: JetStreamContext, *, interval_s: float) -> None:
        self.progress = progress
        self.js = js
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def publish(self, messages: Sequence[OutboxMessage]) -> int:
        """Publish now, in order; whatever fails stays for the relay. Returns how many JetStream stored."""
        done: list[str] = []
        for message in messages:
            headers = request_headers(extra={"Nats-Msg-Id": message.id})
            try:
                await self.js.publish(message.subject, orjson.dumps(message.payload), headers=headers, timeout=5.0)
            except (nats.errors.Error, TimeoutError) as exc:
                log.warning("outbox_publish_deferred", subject=message.subject, error=str(exc) or type(exc).__name__)
                break
            done.append(message.id)
        await self.progress.forget_outbox(ids=done)
        return len(done)

    async def flush(self) -> int:
        """One relay pass over everything still pending."""
        async with self._lock:
            return await self.publish(await self.progress.pending_outbox())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.flush()
            except Exception:
                log.exception("outbox_relay_failed")

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="meetings-outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self.flush()
