"""JetStream work queues, dead letters and events against a real nats-server."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig

from services.kit.context import current_request_id, request_id_var
from services.kit.nats import (
    DL_DELIVERIES,
    DL_ERROR,
    DL_REASON,
    DL_SEQUENCE,
    DL_STREAM,
    DL_SUBJECT,
    DLQ_PREFIX,
    DLQ_STREAM,
    EVENTS_STREAM,
    REQUEST_ID_NATS_HEADER,
    TASKS_STREAM,
    PermanentFailure,
    Task,
    WorkQueueConsumer,
    connect_nats,
    dead_letter_expired,
    drain_nats,
    ensure_events_stream,
    ensure_stream,
    ensure_tasks_stream,
    event_subject,
    publish_event,
    publish_task,
)
from services.kit.settings import WorkSettings
from services.kit.testing.servers import NatsServer, free_port

pytestmark = pytest.mark.timeout(30)


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def stream_count(js: JetStreamContext, stream: str) -> int:
    return (await js.stream_info(stream)).state.messages


class Queue:
    """A fresh work stream with one subject, plus a subscription on its dead-letter subject."""

    def __init__(self, nc: Client) -> None:
        self.nc = nc
        self.js = nc.jetstream()
        tag = uuid.uuid4().hex[:8]
        self.stream = f"TASKS_{tag}"
        self.subject = f"mesh.tasks.test{tag}.run"
        self.durable = f"worker_{tag}"
        self.dlq = f"mesh.dlq.test{tag}"
        self.consumers: list[WorkQueueConsumer] = []

    async def __aenter__(self) -> Queue:
        await ensure_stream(self.js, name=self.stream, subjects=[self.subject])
        self.dead = await self.nc.subscribe(self.dlq)
        return self

    async def __aexit__(self, *exc: object) -> None:
        # A failed assertion must not leave a consumer polling a connection that the fixture closes.
        for consumer in self.consumers:
            await consumer.stop(grace_s=1.0)
        await self.dead.unsubscribe()

    def consumer(self, handler: Callable[[Task], Awaitable[None]], **kwargs: Any) -> WorkQueueConsumer:
        options: dict[str, Any] = {"ack_wait": 2.0, "backoff": [0.05], "fetch_timeout_s": 0.5} | kwargs
        consumer = WorkQueueConsumer(
            self.js,
            stream=self.stream,
            subject=self.subject,
            durable=self.durable,
            handler=handler,
            dead_letter_subject=self.dlq,
            **options,
        )
        self.consumers.append(consumer)
        return consumer


async def test_failed_task_is_redelivered_then_acked(nats_client: Client) -> None:
    deliveries: list[int] = []

    async def handler(task: Task) -> None:
        deliveries.append(task.delivery)
        if task.delivery == 1:
            raise RuntimeError("transient")

    async with Queue(nats_client) as q:
        consumer = q.consumer(handler, max_deliver=3)
        consumer.start()
        await publish_task(q.js, subject=q.subject, payload={"doc": 1})
        await eventually(lambda: _empty(q))
        await consumer.stop()
    assert deliveries == [1, 2]


async def _empty(q: Queue) -> bool:
    return await stream_count(q.js, q.stream) == 0


async def test_always_failing_task_is_dead_lettered_after_max_deliver(nats_client: Client) -> None:
    deliveries: list[int] = []

    async def handler(task: Task) -> None:
        deliveries.append(task.delivery)
        raise RuntimeError("still broken")

    async with Queue(nats_client) as q:
        consumer = q.consumer(handler, max_deliver=3)
        consumer.start()
        token = request_id_var.set("req-dlq")
        try:
            ack = await publish_task(q.js, subject=q.subject, payload={"doc": 2, "name": "ü"}, msg_id="doc:2:v1")
        finally:
            request_id_var.reset(token)
        dead = await q.dead.next_msg(timeout=10)
        await consumer.stop()
        assert deliveries == [1, 2, 3]
        assert orjson.loads(dead.data) == {"doc": 2, "name": "ü"}
        assert dead.headers[DL_SUBJECT] == q.subject
        assert dead.headers[DL_DELIVERIES] == "3"
        assert dead.headers[DL_REASON] == "retries_exhausted"
        assert dead.headers[DL_STREAM] == q.stream
        assert dead.headers[DL_SEQUENCE] == str(ack.seq)
        assert "still broken" in dead.headers[DL_ERROR]
        assert dead.headers[REQUEST_ID_NATS_HEADER] == "req-dlq"
        assert dead.headers["X-Original-Msg-Id"] == "doc:2:v1"
        assert await _empty(q)
        # MESH_DLQ keeps it even though nobody but this test was listening.
        stored = await q.js.get_msg(DLQ_STREAM, subject=q.dlq)
        assert orjson.loads(stored.data or b"") == {"doc": 2, "name": "ü"}


async def test_hung_handler_times_out_and_is_dead_lettered(nats_client: Client) -> None:
    calls = 0

    async def handler(task: Task) -> None:
        nonlocal calls
        calls += 1
        await asyncio.Event().wait()

    async with Queue(nats_client) as q:
        consumer = q.consumer(handler, max_deliver=2, ack_wait=0.5, handler_timeout_s=0.3)
        consumer.start()
        await publish_task(q.js, subject=q.subject, payload={"doc": 3})
        dead = await q.dead.next_msg(timeout=10)
        await consumer.stop()
    assert calls == 2
    assert dead.headers[DL_DELIVERIES] == "2"
    assert "TimeoutError" in dead.headers[DL_ERROR]


async def test_task_of_a_dead_worker_reaches_dead_letters_through_advisory(nats_client: Client) -> None:
    handled: list[Task] = []

    async def handler(task: Task) -> None:
        handled.append(task)

    async with Queue(nats_client) as q:
        consumer = q.consumer(handler, max_deliver=2, ack_wait=0.3)
        await consumer.setup()
        ack = await publish_task(q.js, subject=q.subject, payload={"doc": 4})
        # A worker that takes the task twice and dies each time without acking.
        dying = await q.js.pull_subscribe_bind(durable=q.durable, stream=q.stream)
        for expected in (1, 2):
            (msg,) = await dying.fetch(1, timeout=5)
            assert msg.metadata.num_delivered == expected
            await asyncio.sleep(0.4)
        await dying.unsubscribe()
        consumer.start()
        dead = await q.dead.next_msg(timeout=10)
        await eventually(lambda: _empty(q))
        await consumer.stop()
    assert handled == []
    assert orjson.loads(dead.data) == {"doc": 4}
    assert dead.headers[DL_REASON] == "max_deliveries"
    assert dead.headers[DL_DELIVERIES] == "2"
    assert dead.headers[DL_SEQUENCE] == str(ack.seq)
    assert dead.headers[DL_SUBJECT] == q.subject


async def test_permanent_failure_and_bad_payload_skip_retries(nats_client: Client) -> None:
    deliveries: list[int] = []

    async def handler(task: Task) -> None:
        deliveries.append(task.delivery)
        raise PermanentFailure("document is encrypted")

    async with Queue(nats_client) as q:
        consumer = q.consumer(handler, max_deliver=5)
        consumer.start()
        await publish_task(q.js, subject=q.subject, payload={"doc": 5})
        first = await q.dead.next_msg(timeout=10)
        await q.js.publish(q.subject, b"not json")
        second = await q.dead.next_msg(timeout=10)
        await eventually(lambda: _empty(q))
        await consumer.stop()
    assert deliveries == [1]
    assert first.headers[DL_REASON] == "permanent_failure"
    assert first.headers[DL_DELIVERIES] == "1"
    assert "document is encrypted" in first.headers[DL_ERROR]
    assert second.data == b"not json"
    assert second.headers[DL_REASON] == "permanent_failure"


async def test_request_id_travels_from_publisher_to_handler(nats_client: Client) -> None:
    seen: list[tuple[str | None, str | None, Any]] = []

    async def handler(task: Task) -> None:
        ctx = structlog.contextvars.get_contextvars()
        seen.append((task.request_id, current_request_id(), ctx.get("request_id")))

    async with Queue(nats_client) as q:
        consumer = q.consumer(handler)
        consumer.start()
        token = request_id_var.set("req-abc")
        try:
            await publish_task(q.js, subject=q.subject, payload={"doc": 6})
        finally:
            request_id_var.reset(token)
        await publish_task(q.js, subject=q.subject, payload={"doc": 7})
        await eventually(lambda: _async_len(seen, 2))
        await consumer.stop()
    assert seen == [("req-abc", "req-abc", "req-abc"), (None, None, None)]


async def _async_len(items: list[Any], n: int) -> bool:
    return len(items) >= n


async def test_msg_id_drops_duplicate_submissions(nats_client: Client) -> None:
    async with Queue(nats_client) as q:
        first = await publish_task(q.js, subject=q.subject, payload={"doc": 8}, msg_id="doc:8:v1")
        again = await publish_task(q.js, subject=q.subject, payload={"doc": 8}, msg_id="doc:8:v1")
        assert not first.duplicate
        assert again.duplicate
        assert await stream_count(q.js, q.stream) == 1


async def test_graceful_stop_lets_in_flight_handler_finish(nats_client: Client) -> None:
    started = asyncio.Event()
    finished: list[int] = []

    async def handler(task: Task) -> None:
        started.set()
        await asyncio.sleep(0.5)
        finished.append(task.payload["doc"])

    async with Queue(nats_client) as q:
        consumer = q.consumer(handler)
        consumer.start()
        await publish_task(q.js, subject=q.subject, payload={"doc": 9})
        await asyncio.wait_for(started.wait(), 10)
        await consumer.stop()
        assert finished == [9]
        assert await _empty(q)
        # Once stopped it takes nothing more.
        await publish_task(q.js, subject=q.subject, payload={"doc": 10})
        await asyncio.sleep(0.3)
        assert finished == [9]
        assert await stream_count(q.js, q.stream) == 1


async def test_stop_past_grace_hands_task_back(nats_client: Client) -> None:
    deliveries: list[int] = []

    async def slow(task: Task) -> None:
        deliveries.append(task.delivery)
        await asyncio.sleep(60)

    async def quick(task: Task) -> None:
        deliveries.append(task.delivery)

    async with Queue(nats_client) as q:
        consumer = q.consumer(slow, ack_wait=30.0)
        consumer.start()
        await publish_task(q.js, subject=q.subject, payload={"doc": 11})
        await eventually(lambda: _async_len(deliveries, 1))
        await consumer.stop(grace_s=0.2)
        # Nak'd on cancel, so another worker gets it now rather than after the 30 s ack_wait.
        again = q.consumer(quick, ack_wait=30.0)
        again.start()
        await eventually(lambda: _empty(q), within=5)
        await again.stop()
    assert deliveries == [1, 2]


async def test_consumer_recreates_itself_when_deleted(nats_client: Client) -> None:
    handled: list[int] = []

    async def handler(task: Task) -> None:
        handled.append(task.payload["doc"])

    async with Queue(nats_client) as q:
        consumer = q.consumer(handler)
        consumer.start()
        await publish_task(q.js, subject=q.subject, payload={"doc": 14})
        await eventually(lambda: _async_len(handled, 1))
        await q.js.delete_consumer(q.stream, q.durable)
        await publish_task(q.js, subject=q.subject, payload={"doc": 15})
        await eventually(lambda: _async_len(handled, 2))
        await consumer.stop()
    assert handled == [14, 15]


async def test_consumer_ends_when_its_connection_is_closed(nats_client: Client, nats_server: NatsServer) -> None:
    async with Queue(nats_client) as q:
        own = await connect_nats(url=nats_server.url, name="closing")
        consumer = WorkQueueConsumer(
            own.jetstream(),
            stream=q.stream,
            subject=q.subject,
            durable=q.durable,
            handler=_noop,
            fetch_timeout_s=0.3,
        )
        task = consumer.start()
        await asyncio.sleep(0.5)
        assert not task.done()
        await own.close()
        await asyncio.wait_for(task, 5)


async def _noop(task: Task) -> None:
    return None


async def test_concurrency_runs_handlers_side_by_side(nats_client: Client) -> None:
    both_in = asyncio.Barrier(3)

    async def handler(task: Task) -> None:
        await asyncio.wait_for(both_in.wait(), 5)

    async with Queue(nats_client) as q:
        consumer = q.consumer(handler, concurrency=2)
        consumer.start()
        await publish_task(q.js, subject=q.subject, payload={"doc": 12})
        await publish_task(q.js, subject=q.subject, payload={"doc": 13})
        await asyncio.wait_for(both_in.wait(), 10)
        await eventually(lambda: _empty(q))
        await consumer.stop()


async def test_publish_event_lands_on_durable_events_stream(nats_client: Client) -> None:
    js = nats_client.jetstream()
    await ensure_events_stream(js)
    token = request_id_var.set("req-evt")
    try:
        ack = await publish_event(nats_client, entity="files", verb="deleted", payload={"file_id": 42})
    finally:
        request_id_var.reset(token)
    assert ack.stream == EVENTS_STREAM
    stored = await js.get_msg(EVENTS_STREAM, subject="mesh.events.files.deleted")
    assert orjson.loads(stored.data or b"") == {"file_id": 42}
    assert (stored.headers or {})[REQUEST_ID_NATS_HEADER] == "req-evt"
    # Limits retention: two durable consumers each get their own copy.
    for durable in ("retrieval", "audit"):
        sub = await js.pull_subscribe("mesh.events.files.>", durable=durable, stream=EVENTS_STREAM)
        (msg,) = await sub.fetch(1, timeout=5)
        assert msg.subject == "mesh.events.files.deleted"
        await msg.ack()
    assert await stream_count(js, EVENTS_STREAM) == 1
    with pytest.raises(ValueError):
        event_subject(entity="files.x", verb="deleted")


async def test_streams_survive_a_restart_and_the_client_reconnects(tmp_path: Any) -> None:
    server = await asyncio.to_thread(NatsServer(tmp_path / "nats").start)
    try:
        nc = await connect_nats(url=server.url, name="restart-test")
        js = nc.jetstream()
        await ensure_stream(js, name="RESTART", subjects=["mesh.tasks.restart.>"])
        await publish_task(js, subject="mesh.tasks.restart.a", payload={"n": 1})
        fixed = NatsServer(server.data_dir, port=server.port)
        await asyncio.to_thread(server.stop)
        server = await asyncio.to_thread(fixed.start)
        # Wait for the client to notice the restart: a publish into the dead socket would simply be lost.
        await eventually(lambda: _reconnected(nc), within=10)
        await publish_task(js, subject="mesh.tasks.restart.a", payload={"n": 2})
        assert await stream_count(js, "RESTART") == 2
        await drain_nats(nc)
    finally:
        server.stop()


async def _reconnected(nc: Client) -> bool:
    return nc.is_connected and nc.stats["reconnects"] >= 1


async def test_ensure_stream_updates_in_place_and_refuses_a_retention_change(nats_client: Client) -> None:
    js = nats_client.jetstream()
    await ensure_stream(js, name="UPD", subjects=["mesh.tasks.upd.a"])
    info = await ensure_stream(js, name="UPD", subjects=["mesh.tasks.upd.a", "mesh.tasks.upd.b"], max_age_s=60)
    assert info.config.subjects == ["mesh.tasks.upd.a", "mesh.tasks.upd.b"]
    assert info.config.max_age == 60
    with pytest.raises(ValueError, match="retention"):
        await ensure_stream(js, name="UPD", subjects=["mesh.tasks.upd.a"], work_queue=False)


async def test_first_connect_gives_up_after_its_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await connect_nats(url=f"nats://127.0.0.1:{free_port()}", name="nobody-home", connect_timeout_s=0.5)
    assert time.monotonic() - started < 3


async def test_work_streams_get_the_max_age_setting_even_when_they_exist(
    nats_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    js = nats_client.jetstream()
    assert WorkSettings().work_max_age_s == 7 * 86_400
    # A stream made before work had an age limit: nothing it holds would ever leave.
    await js.add_stream(
        StreamConfig(
            name=TASKS_STREAM, subjects=["mesh.tasks.>"], retention=RetentionPolicy.WORK_QUEUE, storage=StorageType.FILE
        )
    )
    assert (await js.stream_info(TASKS_STREAM)).config.max_age in (None, 0)
    monkeypatch.setenv("MESH_WORK_MAX_AGE_S", "3600")
    info = await ensure_tasks_stream(js)
    assert info.config.max_age == 3600
    assert (await ensure_stream(js, name="OTHER_WORK", subjects=["mesh.othertasks.x"])).config.max_age == 3600
    limits = await ensure_stream(js, name="NOT_WORK", subjects=["mesh.notwork.>"], work_queue=False)
    assert limits.config.max_age in (None, 0)


async def test_an_unconsumed_task_expires_by_max_age(nats_client: Client) -> None:
    js = nats_client.jetstream()
    await ensure_stream(js, name="AGED", subjects=["mesh.tasks.aged.>"], max_age_s=0.5)
    await publish_task(js, subject="mesh.tasks.aged.voice", payload={"voice": 1})
    assert await stream_count(js, "AGED") == 1
    await eventually(lambda: _count_is(js, "AGED", 0))


async def _count_is(js: JetStreamContext, stream: str, count: int) -> bool:
    return await stream_count(js, stream) == count


async def test_work_nobody_takes_is_dead_lettered_as_expired(nats_client: Client) -> None:
    """JetStream drops max_age-expired messages silently (no advisory, no dead letter): consumers of the stream
    move work older than expire_after_s to mesh.dlq.<stream>.expired first, whatever its subject."""

    async def handler(task: Task) -> None:
        return None

    async with Queue(nats_client) as q:
        orphan = f"mesh.tasks.orphan{uuid.uuid4().hex[:6]}.transcribe"
        await ensure_stream(q.js, name=q.stream, subjects=[q.subject, orphan], max_age_s=3600)
        expired = await q.nc.subscribe(f"{DLQ_PREFIX}{q.stream}.expired")
        ack = await publish_task(q.js, subject=orphan, payload={"voice_id": "v-1"}, msg_id="transcribe:v-1")
        consumer = q.consumer(handler, expire_after_s=0.5, sweep_interval_s=0.2)
        consumer.start()
        dead = await expired.next_msg(timeout=10)
        await eventually(lambda: _empty(q))
        # The dead letter is kept in MESH_DLQ for an operator, not just sent past.
        stored = await q.js.get_msg(DLQ_STREAM, subject=f"{DLQ_PREFIX}{q.stream}.expired")
        await consumer.stop()
        await expired.unsubscribe()
    assert orjson.loads(dead.data) == {"voice_id": "v-1"} and stored.data == dead.data
    assert dead.headers[DL_REASON] == "expired"
    assert dead.headers[DL_SUBJECT] == orphan
    assert dead.headers[DL_STREAM] == q.stream
    assert dead.headers[DL_SEQUENCE] == str(ack.seq)
    assert dead.headers["X-Original-Msg-Id"] == "transcribe:v-1"


async def test_fresh_work_and_event_streams_are_not_swept(nats_client: Client) -> None:
    js = nats_client.jetstream()
    await ensure_stream(js, name="FRESH", subjects=["mesh.tasks.fresh.>"])
    await publish_task(js, subject="mesh.tasks.fresh.a", payload={"n": 1})
    assert await dead_letter_expired(js, stream="FRESH", older_than_s=3600) == 0
    await ensure_events_stream(js)
    await publish_event(js, entity="sweep", verb="tested", payload={"n": 1})
    assert await dead_letter_expired(js, stream=EVENTS_STREAM, older_than_s=0) == 0
    assert await stream_count(js, "FRESH") == 1 and await stream_count(js, EVENTS_STREAM) >= 1


async def test_draining_after_the_server_died_still_closes_the_client_and_ends_its_tasks(tmp_path: Any) -> None:
    # The whole mesh stopping at once: the server is gone by the time a service drains its connection.
    server = await asyncio.to_thread(NatsServer(tmp_path / "nats").start)
    before = asyncio.all_tasks()
    received: list[bytes] = []

    async def collect(msg: Any) -> None:
        received.append(msg.data)

    try:
        nc = await connect_nats(url=server.url, name="dead-server")
        await nc.subscribe("mesh.control.drain-test", cb=collect)
        await nc.publish("mesh.control.drain-test", b"before")
        await nc.flush()
        await eventually(lambda: _async_true(received == [b"before"]), within=5)
        await asyncio.to_thread(server._kill)
        await nc.publish("mesh.control.drain-test", b"after")  # left pending for a dead socket
        await asyncio.wait_for(drain_nats(nc, timeout_s=3), timeout=30)  # must not raise
        assert nc.is_closed
    finally:
        server.stop()
    # Nothing the client started outlives it: every task it left ends when cancelled.
    leftovers = [t for t in asyncio.all_tasks() - before if t is not asyncio.current_task() and not t.done()]
    for task in leftovers:
        task.cancel()
    if leftovers:
        _, pending = await asyncio.wait(leftovers, timeout=5)
        assert not pending, [t.get_coro() for t in pending]


async def _async_true(value: bool) -> bool:
    return value
