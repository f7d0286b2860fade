"""The apps service's outbox: events its transactions queued, relayed onto MESH_EVENTS (kit.outbox)."""

from __future__ import annotations

from nats.js import JetStreamContext

from services.apps.models import OutboxEvent
from services.apps.store import AppStore
from services.kit.nats import event_subject
from services.kit.outbox import Envelope, OutboxRelay

EventOutbox = OutboxRelay[OutboxEvent]


def _envelope(event: OutboxEvent) -> Envelope:
    return Envelope(event.id, event_subject(entity=event.entity, verb=event.verb), event.payload)


def event_outbox(store: AppStore, js: JetStreamContext, *, interval_s: float) -> EventOutbox:
    """The relay of the apps store's events."""
    return OutboxRelay(
        js,
        name="apps",
        interval_s=interval_s,
        envelope=_envelope,
        pending=store.pending_events,
        forget=lambda ids: store.forget_events(ids=ids),
    )
