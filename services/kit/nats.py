"""NATS JetStream helpers: connections, streams, and task and event publishing with request ids and trace context."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import nats
import nats.errors
import nats.js.errors
import orjson
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.api import (
    PubAck,
    RetentionPolicy,
    StorageType,
    StreamConfig,
    StreamInfo,
)

from services.kit.context import request_id_var
from services.kit.settings import WorkSettings
from services.kit.tracing import consumer_span, inject_headers, producer_span

log = structlog.get_logger(__name__)

REQUEST_ID_NATS_HEADER = "X-Request-Id"
EVENTS_STREAM = "MESH_EVENTS"
EVENTS_PREFIX = "mesh.events."
DLQ_STREAM = "MESH_DLQ"
DLQ_PREFIX = "mesh.dlq."
ADVISORY_STREAM = "MESH_ADVISORIES"
MAX_DELIVERIES_ADVISORY = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES"
# Headers added to a dead-lettered message, beside the original ones.
DL_SUBJECT = "X-Dead-Letter-Subject"
DL_STREAM = "X-Dead-Letter-Stream"
DL_SEQUENCE = "X-Dead-Letter-Sequence"
DL_DELIVERIES = "X-Dead-Letter-Deliveries"
DL_REASON = "X-Dead-Letter-Reason"
DL_ERROR = "X-Dead-Letter-Error"
EXPIRED_REASON = "expired"

_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")
_DAY_S = 86_400.0


async def connect_nats(*, url: str, name: str, connect_timeout_s: float = 30.0) -> Client:
    """Connect (url may list several servers, comma-separated) and reconnect forever after the first success."""

    async def on_error(exc: Exception) -> None:
        log.warning("nats_error", error=str(exc) or type(exc).__name__)

    async def on_disconnected() -> None:
        log.warning("nats_disconnected")

    async def on_reconnected() -> None:
        log.info("nats_reconnected")

    nc = Client()
    try:
        async with asyncio.timeout(connect_timeout_s):
            await nc.connect(
                [u.strip() for u in url.split(",") if u.strip()],
                name=name,
                max_reconnect_attempts=-1,
                reconnect_time_wait=1,
                connect_timeout=3,
                ping_interval=20,
                max_outstanding_pings=3,
                error_cb=on_error,
                disconnected_cb=on_disconnected,
                reconnected_cb=on_reconnected,
            )
    except BaseException:
        await nc.close()
        raise
    return nc


async def drain_nats(nc: Client, *, timeout_s: float = 10.0) -> None:
    """Drain subscriptions and pending publishes, then close; close hard if draining fails or stalls.

    Never raises: with the server already gone (the whole mesh stopping at once), draining fails with a reset
    connection, and the client must still be closed, or its tasks outlive the service's shutdown.
    """
    if nc.is_closed:
        return
    try:
        async with asyncio.timeout(timeout_s):
            await nc.drain()
    except (TimeoutError, OSError, nats.errors.Error) as exc:
        log.warning("nats_drain_failed", error=str(exc) or type(exc).__name__)
    if nc.is_closed:
        return
    try:
        async with asyncio.timeout(timeout_s):
            await nc.close()
    except (TimeoutError, OSError, nats.errors.Error) as exc:
        log.warning("nats_close_failed", error=str(exc) or type(exc).__name__)


async def ensure_stream(
    js: JetStreamContext,
    *,
    name: str,
    subjects: Sequence[str],
    work_queue: bool = True,
    max_age_s: float | None = None,
    max_bytes: int | None = None,
    duplicate_window_s: float = 120.0,
    replicas: int = 1,
) -> StreamInfo:
    """Create a file-backed stream, or update it to this config (retention cannot change in place).

    A work queue without max_age_s gets MESH_WORK_MAX_AGE_S, so every process that ensures it agrees on it.
    """
    retention = RetentionPolicy.WORK_QUEUE if work_queue else RetentionPolicy.LIMITS
    if max_age_s is None and work_queue:
        max_age_s = WorkSettings().work_max_age_s
    config = StreamConfig(
        name=name,
        subjects=list(subjects),
        retention=retention,
        storage=StorageType.FILE,
        max_age=max_age_s or 0,
        max_bytes=max_bytes or -1,
        # The server refuses a dedup window longer than max_age.
        duplicate_window=min(duplicate_window_s, max_age_s) if max_age_s else duplicate_window_s,
        num_replicas=replicas,
    )
    try:
        current = await js.stream_info(name)
    except nats.js.errors.NotFoundError:
        return await js.add_stream(config)
    if current.config.retention != retention:
        raise ValueError(f"stream {name} has retention {current.config.retention}, not {retention}")
    return await js.update_stream(config)


async def ensure_events_stream(js: JetStreamContext, *, max_age_s: float = 7 * _DAY_S) -> StreamInfo:
    """The MESH_EVENTS stream: Limits retention, so any number of durable consumers can follow it."""
    return await ensure_stream(
        js, name=EVENTS_STREAM, subjects=[EVENTS_PREFIX + ">"], work_queue=False, max_age_s=max_age_s
    )


TASKS_STREAM = "MESH_TASKS"
TASKS_PREFIX = "mesh.tasks."


async def ensure_tasks_stream(js: JetStreamContext) -> StreamInfo:
    """The MESH_TASKS work queue (mesh.tasks.>, MESH_WORK_MAX_AGE_S); producers and consumers ensure it alike."""
    return await ensure_stream(js, name=TASKS_STREAM, subjects=[TASKS_PREFIX + ">"], work_queue=True)


async def ensure_dlq_stream(js: JetStreamContext, *, max_age_s: float = 30 * _DAY_S) -> StreamInfo:
    """The MESH_DLQ stream that keeps every dead-lettered task until an operator looks at it."""
    return await ensure_stream(js, name=DLQ_STREAM, subjects=[DLQ_PREFIX + ">"], work_queue=False, max_age_s=max_age_s)


def dead_letter_headers(
    *,
    headers: Mapping[str, str] | None,
    data: bytes,
    subject: str,
    stream: str,
    seq: int,
    delivery: int,
    reason: str,
    error: BaseException | None = None,
) -> dict[str, str]:
    """A dead letter's headers: the original ones, X-Dead-Letter-* and a Nats-Msg-Id that makes the copy once."""
    # Nats-* headers steer the server (dedup, expectations); keep the original id under another name.
    out = {k: v for k, v in (headers or {}).items() if not k.startswith("Nats-")}
    if headers and "Nats-Msg-Id" in headers:
        out["X-Original-Msg-Id"] = headers["Nats-Msg-Id"]
    out |= {
        DL_SUBJECT: subject,
        DL_STREAM: stream,
        DL_SEQUENCE: str(seq),
        DL_DELIVERIES: str(delivery),
        DL_REASON: reason,
        # Stable for one stored message, so a second copy attempt (another replica) is dropped as a duplicate;
        # the digest keeps a recreated stream's reused sequence numbers from colliding.
        "Nats-Msg-Id": f"dlq:{stream}:{seq}:{hashlib.blake2b(data, digest_size=8).hexdigest()}",
    }
    if error is not None:
        out[DL_ERROR] = " ".join(repr(error).split())[:512]
    return out


async def dead_letter_expired(
    js: JetStreamContext, *, stream: str, older_than_s: float, dead_letter_subject: str | None = None, limit: int = 500
) -> int:
    """Move work that waited longer than older_than_s, on any subject, to mesh.dlq.<stream>.expired.

    JetStream's max_age drops messages silently: no advisory, no dead letter (subject delete markers only mark
    the last message of a subject, inside the stream itself). Sweeping first keeps such work observable.
    Limits streams (events) are left alone. Returns how many tasks moved.
    """
    info = await js.stream_info(stream)
    if info.config.retention != RetentionPolicy.WORK_QUEUE:
        return 0
    target = dead_letter_subject or f"{DLQ_PREFIX}{stream}.{EXPIRED_REASON}"
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
    seq, moved = info.state.first_seq, 0
    while moved < limit:
        try:
            raw = await js.get_msg(stream, seq, subject=">", next=True)
        except nats.js.errors.NotFoundError:
            break
        if raw.seq is None or raw.time is None or raw.time > cutoff:
            break
        data = raw.data or b""
        headers = dead_letter_headers(
            headers=raw.headers,
            data=data,
            subject=raw.subject or "",
            stream=stream,
            seq=raw.seq,
            delivery=0,
            reason=EXPIRED_REASON,
        )
        await js.publish(target, data, headers=headers)
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_msg(stream, raw.seq)
        log.warning("task_expired", stream=stream, seq=raw.seq, subject=raw.subject, dead_letter_subject=target)
        moved, seq = moved + 1, raw.seq + 1
    return moved


def request_headers(*, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """NATS headers carrying the current request id and trace context (W3C traceparent), plus any extra ones."""
    headers = dict(extra or {})
    rid = request_id_var.get()
    if rid:
        headers[REQUEST_ID_NATS_HEADER] = rid
    return inject_headers(headers)


@contextlib.contextmanager
def bind_request_id(headers: Mapping[str, str] | None) -> Iterator[str | None]:
    """Bind a message's request id to request_id_var and structlog contextvars for the block."""
    rid = (headers or {}).get(REQUEST_ID_NATS_HEADER)
    token = request_id_var.set(rid)
    try:
        if rid:
            with structlog.contextvars.bound_contextvars(request_id=rid):
                yield rid
        else:
            yield None
    finally:
        request_id_var.reset(token)


async def publish_task(
    js: JetStreamContext, *, subject: str, payload: Mapping[str, Any], msg_id: str | None = None
) -> PubAck:
    """Publish a JSON task; msg_id (e.g. "resource:version") lets JetStream drop duplicate submissions."""
    with producer_span(subject):
        headers = request_headers(extra={"Nats-Msg-Id": msg_id} if msg_id else None)
        return await js.publish(subject, orjson.dumps(payload), headers=headers or None)


MessageCallback = Callable[[Msg], Awaitable[None]]


async def subscribe_traced(nc: Client, subject: str, callback: MessageCallback, *, consumer: str) -> Subscription:
    """A core-NATS subscription whose callback runs with the message's request id, in its publisher's trace.

    The CONSUMER span is the child of the span that published the message, so a stop or a reload shows in the
    trace of the request that sent it.
    """

    async def traced(msg: Msg) -> None:
        with (
            bind_request_id(msg.headers),
            consumer_span(msg.subject, msg.headers, consumer=consumer, delivery=1),
        ):
            await callback(msg)

    return await nc.subscribe(subject, cb=traced)


async def publish_signal(nc: Client, subject: str, data: bytes = b"", *, reply: str = "") -> None:
    """Publish on core NATS (not stored) with the request id and trace context in its headers."""
    with producer_span(subject):
        await nc.publish(subject, data, reply=reply, headers=request_headers() or None)


def event_subject(*, entity: str, verb: str) -> str:
    """The subject mesh.events.<entity>.<verb>, with both parts checked to be single tokens."""
    for part in (entity, verb):
        if not _TOKEN.match(part):
            raise ValueError(f"event entity and verb must be single subject tokens: {part!r}")
    return f"{EVENTS_PREFIX}{entity}.{verb}"


async def publish_event(
    js_or_nc: JetStreamContext | Client, *, entity: str, verb: str, payload: Mapping[str, Any]
) -> PubAck:
    """Publish a JSON event onto MESH_EVENTS; it is stored before this returns."""
    js = js_or_nc.jetstream() if isinstance(js_or_nc, Client) else js_or_nc
    subject = event_subject(entity=entity, verb=verb)
    with producer_span(subject):
        headers = request_headers(extra={"Nats-Msg-Id": uuid.uuid4().hex})
        return await js.publish(subject, orjson.dumps(payload), headers=headers)


# Consumers live in their own module; re-exported so `mesh_nats.WorkQueueConsumer` keeps working.
from services.kit.workqueue import Handler, PermanentFailure, Task, WorkQueueConsumer  # noqa: E402

__all__ = ["Handler", "PermanentFailure", "Task", "WorkQueueConsumer"]
