"""The meetings service's outbox: jobs and events its transactions wrote, relayed onto JetStream (kit.outbox)."""

from __future__ import annotations

from nats.js import JetStreamContext

from services.kit.outbox import Envelope, OutboxRelay
from services.meetings.models import OutboxMessage
from services.meetings.progress import Progress

Outbox = OutboxRelay[OutboxMessage]


def _envelope(message: OutboxMessage) -> Envelope:
    return Envelope(message.id, message.subject, message.payload)


def meetings_outbox(progress: Progress, js: JetStreamContext, *, interval_s: float) -> Outbox:
    """The relay of the meetings store's outbox rows."""
    return OutboxRelay(
        js,
        name="meetings",
        interval_s=interval_s,
        envelope=_envelope,
        pending=progress.pending_outbox,
        forget=lambda ids: progress.forget_outbox(ids=ids),
    )
