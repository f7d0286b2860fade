"""Durable JetStream work-queue consumers: explicit acks, backoff retries, dead letters via advisories and expiry."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import nats
import nats.errors
import nats.js.errors
import orjson
import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

from services.kit.dead_letters import DeadLetterBox
from services.kit.metrics import QueueMetrics
from services.kit.nats import (
    ADVISORY_STREAM,
    MAX_DELIVERIES_ADVISORY,
    bind_request_id,
    ensure_dlq_stream,
    ensure_stream,
)
from services.kit.settings import WorkSettings
from services.kit.tracing import consumer_span, fail_current_span

log = structlog.get_logger(__name__)


class PermanentFailure(Exception):
    """Raised by a task handler when retrying cannot help: the task is dead-lettered at once."""


@dataclass(frozen=True, slots=True)
class Task:
    """One delivery of a work-queue message, as a handler sees it."""

    subject: str
    payload: dict[str, Any]
    headers: Mapping[str, str]
    delivery: int
    stream_seq: int
    request_id: str | None
    msg: Msg


Handler = Callable[[Task], Awaitable[None]]


class WorkQueueConsumer:
    """A durable pull consumer with explicit acks, backoff retries and a dead-letter subject.

    A handler that returns acks its task; one that raises is nak'd with backoff[delivery-1] (the last value
    repeats) until max_deliver, then dead-lettered; PermanentFailure (or a payload that is not a JSON
    object) dead-letters at once. While a handler runs its message is kept alive with in-progress acks, so
    ack_wait only bounds how long a dead worker holds a task; handler_timeout_s bounds a hung handler, whose
    timeout counts as a failure. Tasks that the server gives up on without our seeing the last delivery
    (a worker died holding it) come back through the MAX_DELIVERIES advisory, which MESH_ADVISORIES stores
    so that no replica has to be listening at that moment; one replica then copies the stored message to
    the dead-letter subject and deletes it from the work stream. Dead letters carry the original payload
    and headers plus X-Dead-Letter-* headers, and a Nats-Msg-Id that makes the copy happen only once.
    Every sweep_interval_s the consumer also moves work of its stream that waited past expire_after_s, on any
    subject (work that has no consumer at all included), to mesh.dlq.<stream>.expired: JetStream's max_age
    would otherwise drop it without a trace.
    """

    def __init__(
        self,
        js: JetStreamContext,
        *,
        stream: str,
        subject: str,
        durable: str,
        handler: Handler,
        max_deliver: int = 5,
        backoff: Sequence[float] | None = (1.0, 5.0, 30.0),
        ack_wait: float = 30.0,
        handler_timeout_s: float = 300.0,
        dead_letter_subject: str | None = None,
        concurrency: int = 1,
        fetch_timeout_s: float = 1.0,
        expire_after_s: float | None = None,
        sweep_interval_s: float | None = None,
        lag_interval_s: float = 5.0,
    ) -> None:
        if max_deliver < 1 or concurrency < 1:
            raise ValueError("max_deliver and concurrency must be at least 1")
        work = WorkSettings()
        self.expire_after_s = work.dead_letter_after_s() if expire_after_s is None else expire_after_s
        self.sweep_interval_s = sweep_interval_s or work.work_sweep_interval_s
        self.js, self.stream, self.subject, self.durable, self.handler = js, stream, subject, durable, handler
        self.max_deliver, self.backoff = max_deliver, list(backoff or [0.0])
        self.ack_wait, self.handler_timeout_s = ack_wait, handler_timeout_s
        self.concurrency, self.fetch_timeout_s = concurrency, fetch_timeout_s
        self.lag_interval_s = lag_interval_s
        self.metrics = QueueMetrics(stream, durable)
        self._log = log.bind(stream=stream, durable=durable)
        self.dead_letters = DeadLetterBox(
            js, stream=stream, durable=durable, subject=dead_letter_subject, metrics=self.metrics, log=self._log
        )
        self.dead_letter_subject = self.dead_letters.subject
        self.advisory_subject = f"{MAX_DELIVERIES_ADVISORY}.{stream}.{durable}"
        self._advisory_durable = f"dlq_{stream}_{durable}"
        self._stopping = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None

    async def setup(self) -> None:
        """Create or update the consumer, MESH_DLQ and the advisory capture; safe to repeat."""
        await ensure_dlq_stream(self.js)
        await ensure_stream(
            self.js, name=ADVISORY_STREAM, subjects=[MAX_DELIVERIES_ADVISORY + ".>"], max_age_s=7 * 86_400.0
        )
        await self.js.add_consumer(
            self.stream,
            ConsumerConfig(
                name=self.durable,
                durable_name=self.durable,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=self.ack_wait,
                max_deliver=self.max_deliver,
                filter_subject=self.subject,
            ),
        )
        await self.js.add_consumer(
            ADVISORY_STREAM,
            ConsumerConfig(
                name=self._advisory_durable,
                durable_name=self._advisory_durable,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=30.0,
                filter_subject=self.advisory_subject,
            ),
        )

    def start(self) -> asyncio.Task[None]:
        """Run the consumer in a background task (idempotent while it runs)."""
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._task = asyncio.create_task(self.run(), name=f"workqueue:{self.stream}:{self.durable}")
        return self._task

    async def stop(self, *, grace_s: float | None = 30.0) -> None:
        """Stop fetching, let in-flight handlers finish within grace_s, then cancel (and nak) the rest."""
        self._stopping.set()
        task = self._task
        if task is None:
            return
        done, _ = await asyncio.wait({task}, timeout=grace_s)
        if not done:
            self._log.warning("workqueue_stop_grace_exceeded", inflight=len(self._inflight))
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def run(self) -> None:
        """Consume until stop() is called; setup() runs first."""
        await self.setup()
        sub = await self.js.pull_subscribe_bind(durable=self.durable, stream=self.stream)
        adv = await self.js.pull_subscribe_bind(durable=self._advisory_durable, stream=ADVISORY_STREAM)
        helpers = [
            asyncio.create_task(self._advisory_loop(adv)),
            asyncio.create_task(self._sweep_loop()),
            asyncio.create_task(self._lag_loop()),
        ]
        self._log.info("workqueue_started", subject=self.subject)
        try:
            await self._fetch_loop(sub)
            await asyncio.gather(*list(self._inflight), *helpers)
        finally:
            pending = [*self._inflight, *helpers]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            for s in (sub, adv):
                with contextlib.suppress(Exception):
                    await s.unsubscribe()
            self._log.info("workqueue_stopped")

    async def _fetch_loop(self, sub: JetStreamContext.PullSubscription) -> None:
        while not self._stopping.is_set():
            free = self.concurrency - len(self._inflight)
            if free <= 0:
                await asyncio.wait(self._inflight, return_when=asyncio.FIRST_COMPLETED)
                continue
            msgs = await self._fetch(sub, batch=free)
            for msg in msgs:
                task = asyncio.create_task(self._process(msg))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)

    async def _fetch(self, sub: JetStreamContext.PullSubscription, *, batch: int) -> list[Msg]:
        # A pending fetch is never cancelled: a message the server sent meanwhile would sit until ack_wait.
        try:
            return await sub.fetch(batch=batch, timeout=self.fetch_timeout_s)
        except TimeoutError:
            return []
        except nats.errors.ConnectionClosedError:
            # A closed client never reconnects; polling it would only log forever.
            self._log.error("workqueue_connection_closed")
            self._stopping.set()
            return []
        except nats.errors.Error as exc:
            self._log.warning("workqueue_fetch_failed", error=str(exc) or type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=1.0)
            if isinstance(exc, nats.js.errors.APIError) and not self._stopping.is_set():
                # The consumer may have been deleted under us; recreate it (the subscription binds by name).
                with contextlib.suppress(nats.errors.Error):
                    await self.setup()
            return []

    async def _process(self, msg: Msg) -> None:
        md = msg.metadata
        delivery, seq = md.num_delivered, md.sequence.stream
        if delivery > 1:
            self.metrics.redeliveries.inc()
        with (
            bind_request_id(msg.headers) as rid,
            consumer_span(msg.subject, msg.headers, consumer=self.durable, delivery=delivery),
        ):
            try:
                await self._handle(msg, delivery=delivery, seq=seq, request_id=rid)
            except asyncio.CancelledError:
                # Stop ran out of grace: hand the task back now rather than after ack_wait.
                with contextlib.suppress(Exception):
                    await msg.nak()
                raise
            except Exception:
                self._log.exception("workqueue_settle_failed", seq=seq, delivery=delivery)

    async def _handle(self, msg: Msg, *, delivery: int, seq: int, request_id: str | None) -> None:
        try:
            try:
                payload = orjson.loads(msg.data)
            except orjson.JSONDecodeError as exc:
                raise PermanentFailure(f"payload is not JSON: {exc}") from exc
            if not isinstance(payload, dict):
                raise PermanentFailure("payload is not a JSON object")
            task = Task(msg.subject, payload, msg.headers or {}, delivery, seq, request_id, msg)
            keepalive = asyncio.create_task(self._keepalive(msg))
            try:
                with self.metrics.seconds.time():
                    async with asyncio.timeout(self.handler_timeout_s):
                        await self.handler(task)
            finally:
                keepalive.cancel()
        except PermanentFailure as exc:
            fail_current_span(exc)
            await self._give_up(msg, delivery=delivery, seq=seq, reason="permanent_failure", error=exc)
        except Exception as exc:
            fail_current_span(exc)
            if delivery >= self.max_deliver:
                await self._give_up(msg, delivery=delivery, seq=seq, reason="retries_exhausted", error=exc)
                return
            delay = self.backoff[min(delivery, len(self.backoff)) - 1]
            self._log.warning("task_failed_will_retry", seq=seq, delivery=delivery, delay_s=delay, error=repr(exc))
            self.metrics.outcome("retried")
            await msg.nak(delay=delay)
        else:
            self.metrics.outcome("acked")
            await self._ack(msg)

    async def _keepalive(self, msg: Msg) -> None:
        while True:
            await asyncio.sleep(self.ack_wait / 3)
            try:
                await msg.in_progress()
            except nats.errors.Error as exc:
                # Disconnected: the server may redeliver meanwhile, which idempotent handlers tolerate.
                self._log.warning("workqueue_keepalive_failed", error=str(exc) or type(exc).__name__)

    async def _give_up(self, msg: Msg, *, delivery: int, seq: int, reason: str, error: Exception) -> None:
        try:
            await self.dead_letters.publish(
                subject=msg.subject,
                data=msg.data,
                headers=msg.headers,
                seq=seq,
                delivery=delivery,
                reason=reason,
                error=error,
            )
        except Exception:
            # Leave it to the server: redelivery, or the max-deliveries advisory, tries the copy again.
            self._log.exception("dead_letter_publish_failed", seq=seq)
            await msg.nak(delay=self.backoff[-1])
            return
        self.metrics.outcome("dead_lettered")
        await self._ack(msg)

    async def _ack(self, msg: Msg) -> None:
        # Confirmed acks: once stop() returns, the server has forgotten every task this worker finished.
        try:
            await msg.ack_sync(timeout=5.0)
        except TimeoutError:
            self._log.warning("workqueue_ack_unconfirmed", seq=msg.metadata.sequence.stream)

    async def _sweep_loop(self) -> None:
        """Dead-letter work of this stream (any subject) that waited past expire_after_s, before max_age drops it."""
        while not self._stopping.is_set():
            try:
                await self.dead_letters.sweep_expired(older_than_s=self.expire_after_s)
            except nats.errors.Error as exc:
                self._log.warning("expiry_sweep_failed", error=str(exc) or type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.sweep_interval_s)

    async def _lag_loop(self) -> None:
        """Keep the lag gauges current from the server's view of this consumer (every replica reports the same)."""
        while not self._stopping.is_set():
            try:
                info = await self.js.consumer_info(self.stream, self.durable)
                self.metrics.lag(
                    pending=info.num_pending or 0,
                    ack_pending=info.num_ack_pending or 0,
                    redelivered=info.num_redelivered or 0,
                )
            except nats.errors.Error as exc:
                self._log.debug("consumer_info_failed", error=str(exc) or type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.lag_interval_s)

    async def _advisory_loop(self, adv: JetStreamContext.PullSubscription) -> None:
        while not self._stopping.is_set():
            for msg in await self._fetch(adv, batch=10):
                try:
                    info = orjson.loads(msg.data)
                    await self.dead_letters.move_stored(seq=int(info["stream_seq"]), deliveries=int(info["deliveries"]))
                except Exception:
                    self._log.exception("max_deliveries_advisory_failed")
                    await msg.nak(delay=5.0)
                else:
                    await msg.ack()
