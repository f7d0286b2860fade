"""Where a work-queue consumer's failed tasks go: copies on a MESH_DLQ subject, each made once, then counted."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import nats.js.errors
from nats.js import JetStreamContext

from services.kit.metrics import QueueMetrics
from services.kit.nats import DLQ_PREFIX, EXPIRED_REASON, dead_letter_expired, dead_letter_headers


class DeadLetterBox:
    """One consumer's dead-letter subject (under mesh.dlq.> so MESH_DLQ keeps it) and the ways tasks reach it."""

    def __init__(
        self,
        js: JetStreamContext,
        *,
        stream: str,
        durable: str,
        subject: str | None,
        metrics: QueueMetrics,
        log: Any,
    ) -> None:
        self.subject = subject or f"{DLQ_PREFIX}{stream}.{durable}"
        if not self.subject.startswith(DLQ_PREFIX):
            raise ValueError(f"dead-letter subjects live under {DLQ_PREFIX}> so MESH_DLQ keeps them")
        self.js, self.stream, self.metrics, self._log = js, stream, metrics, log

    async def publish(
        self,
        *,
        subject: str,
        data: bytes,
        headers: Mapping[str, str] | None,
        seq: int,
        delivery: int,
        reason: str,
        error: Exception | None = None,
    ) -> None:
        """Copy one task with its original headers and why it died (X-Dead-Letter-*)."""
        out = dead_letter_headers(
            headers=headers,
            data=data,
            subject=subject,
            stream=self.stream,
            seq=seq,
            delivery=delivery,
            reason=reason,
            error=error,
        )
        await self.js.publish(self.subject, data, headers=out)
        self.metrics.dead_lettered(reason)
        self._log.warning(
            "task_dead_lettered",
            seq=seq,
            delivery=delivery,
            reason=reason,
            subject=subject,
            dead_letter_subject=self.subject,
        )

    async def move_stored(self, *, seq: int, deliveries: int) -> None:
        """Dead-letter the stored task a max-deliveries advisory names, and delete it from the work stream."""
        try:
            raw = await self.js.get_msg(self.stream, seq)
        except nats.js.errors.NotFoundError:
            return  # acked, deleted or already dead-lettered meanwhile
        await self.publish(
            subject=raw.subject or "",
            data=raw.data or b"",
            headers=raw.headers,
            seq=seq,
            delivery=deliveries,
            reason="max_deliveries",
        )
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await self.js.delete_msg(self.stream, seq)

    async def sweep_expired(self, *, older_than_s: float) -> int:
        """Dead-letter work of the stream (any subject) that waited past older_than_s, before max_age drops it."""
        moved = await dead_letter_expired(self.js, stream=self.stream, older_than_s=older_than_s)
        if moved:
            self.metrics.dead_lettered(EXPIRED_REASON, moved)
        return moved
