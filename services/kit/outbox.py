"""The transactional outbox's relay: publish what transactions wrote, and retry in the background what NATS refused."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import nats.errors
import orjson
import structlog
from nats.js import JetStreamContext

from services.kit.nats import request_headers
from services.kit.periodic import Periodic

log = structlog.get_logger(__name__)
Row = TypeVar("Row")


@dataclass(frozen=True)
class Envelope:
    """Where an outbox row goes: its id (the Nats-Msg-Id, so a retry is no duplicate), subject and JSON payload."""

    id: str
    subject: str
    payload: Any


class OutboxRelay(Generic[Row]):
    """At-least-once onto JetStream, in order; a second replica relaying the same rows is deduplicated by NATS."""

    def __init__(
        self,
        js: JetStreamContext,
        *,
        name: str,
        interval_s: float,
        envelope: Callable[[Row], Envelope],
        pending: Callable[[], Awaitable[Sequence[Row]]],
        forget: Callable[[Sequence[str]], Awaitable[None]],
    ) -> None:
        self.js = js
        self.name = name
        self.interval_s = interval_s
        self._envelope = envelope
        self._pending = pending
        self._forget = forget
        self._lock = asyncio.Lock()
        self._relay = Periodic(
            self.flush, interval_s=interval_s, name=f"{name}-outbox", failure_event="outbox_relay_failed"
        )

    async def publish(self, rows: Sequence[Row]) -> int:
        """Publish now, in order; from the first failure on, rows stay for the relay. Returns how many NATS stored."""
        done: list[str] = []
        for row in rows:
            envelope = self._envelope(row)
            headers = request_headers(extra={"Nats-Msg-Id": envelope.id})
            try:
                await self.js.publish(envelope.subject, orjson.dumps(envelope.payload), headers=headers, timeout=5.0)
            except (nats.errors.Error, TimeoutError) as exc:
                log.warning(
                    "outbox_publish_deferred",
                    outbox=self.name,
                    subject=envelope.subject,
                    error=str(exc) or type(exc).__name__,
                )
                break
            done.append(envelope.id)
        if done:
            await self._forget(done)
        return len(done)

    async def flush(self) -> int:
        """One relay pass over everything still pending."""
        async with self._lock:
            return await self.publish(await self._pending())

    def start(self) -> None:
        """Start the background relay."""
        self._relay.start()

    async def stop(self) -> None:
        """Stop the relay, then try once more to publish what is left."""
        await self._relay.stop()
        with contextlib.suppress(Exception):
            await self.flush()
