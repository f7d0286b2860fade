"""Publishes the events the store queued in its transactions; a relay retries those NATS did not take."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence

import nats.errors
import orjson
import structlog
from nats.js import JetStreamContext

from services.apps.models import OutboxEvent
from services.apps.store import AppStore
from services.kit.nats import event_subject, request_headers

log = structlog.get_logger(__name__)


class EventOutbox:
    """At-least-once delivery onto MESH_EVENTS; the event id is the Nats-Msg-Id, so a retry is not a duplicate."""

    def __init__(
        self,
        store: AppStore,
        js: JetStreamContext,
        *,
        interval_s: float,
        on_published: Callable[[OutboxEvent], None] | None = None,
    ) -> None:
        self.store = store
        self.js = js
        self.interval_s = interval_s
        self.on_published = on_published
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def publish(self, events: Sequence[OutboxEvent]) -> int:
        """Publish now; failures stay in the outbox for the relay. Returns how many were stored by NATS."""
        done: list[str] = []
        for event in events:
            headers = request_headers(extra={"Nats-Msg-Id": event.id})
            subject = event_subject(entity=event.entity, verb=event.verb)
            try:
                await self.js.publish(subject, orjson.dumps(event.payload), headers=headers, timeout=5.0)
            except (nats.errors.Error, TimeoutError) as exc:
                log.warning("event_publish_deferred", subject=subject, error=str(exc) or type(exc).__name__)
                break
            done.append(event.id)
            if self.on_published:
                self.on_published(event)
        await self.store.forget_events(ids=done)
        return len(done)

    async def flush(self) -> int:
        """Publish everything still pending (one relay pass)."""
        async with self._lock:
            return await self.publish(await self.store.pending_events())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.flush()
            except Exception:
                log.exception("outbox_relay_failed")

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="apps-outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self.flush()
