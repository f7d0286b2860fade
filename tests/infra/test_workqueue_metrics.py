"""Work-queue metrics against a real nats-server: consumer lag, redeliveries, outcomes and dead letters."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import pytest
from nats.aio.client import Client
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from services.kit.nats import Task, WorkQueueConsumer, ensure_stream, publish_task

pytestmark = pytest.mark.timeout(60)


def sample(name: str, **labels: str) -> float:
    """A sample's value as /metrics shows it, read back with prometheus_client's parser (0 when absent)."""
    for family in text_string_to_metric_families(generate_latest(REGISTRY).decode()):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


async def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 15
    while not check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


async def queue(nats_client: Client) -> tuple[str, str, str]:
    tag = uuid.uuid4().hex[:8]
    stream, subject = f"METRICS_{tag}", f"mesh.tasks.metrics{tag}.run"
    await ensure_stream(nats_client.jetstream(), name=stream, subjects=[subject])
    return stream, subject, f"w_{tag}"


async def test_lag_follows_the_backlog_and_acks_are_counted(nats_client: Client) -> None:
    js = nats_client.jetstream()
    stream, subject, durable = await queue(nats_client)
    release = asyncio.Event()

    async def handler(task: Task) -> None:
        await release.wait()

    consumer = WorkQueueConsumer(
        js, stream=stream, subject=subject, durable=durable, handler=handler, fetch_timeout_s=0.2, lag_interval_s=0.05
    )
    consumer.start()
    labels = {"stream": stream, "consumer": durable}
    try:
        for doc in range(4):
            await publish_task(js, subject=subject, payload={"doc": doc})
        # One task held by the single worker, three waiting behind it.
        await eventually(
            lambda: (
                sample("mesh_workqueue_pending", **labels) == 3 and sample("mesh_workqueue_ack_pending", **labels) == 1
            ),
            "lag of 3 with 1 in hand",
        )
        release.set()
        await eventually(lambda: sample("mesh_workqueue_tasks_total", outcome="acked", **labels) == 4, "4 acks")
        await eventually(lambda: sample("mesh_workqueue_pending", **labels) == 0, "lag back to 0")
    finally:
        await consumer.stop(grace_s=2)
    assert sample("mesh_workqueue_task_seconds_count", **labels) == 4
    assert sample("mesh_workqueue_redeliveries_total", **labels) == 0


async def test_redeliveries_and_dead_letters_are_counted(nats_client: Client) -> None:
    js = nats_client.jetstream()
    stream, subject, durable = await queue(nats_client)

    async def handler(task: Task) -> None:
        raise RuntimeError("still broken")

    consumer = WorkQueueConsumer(
        js,
        stream=stream,
        subject=subject,
        durable=durable,
        handler=handler,
        max_deliver=3,
        backoff=[0.05],
        fetch_timeout_s=0.2,
    )
    consumer.start()
    labels = {"stream": stream, "consumer": durable}
    try:
        await publish_task(js, subject=subject, payload={"doc": "broken"})
        await eventually(
            lambda: sample("mesh_workqueue_dead_letters_total", reason="retries_exhausted", **labels) == 1,
            "one dead letter",
        )
    finally:
        await consumer.stop(grace_s=2)
    assert sample("mesh_workqueue_redeliveries_total", **labels) == 2
    assert sample("mesh_workqueue_tasks_total", outcome="retried", **labels) == 2
    assert sample("mesh_workqueue_tasks_total", outcome="dead_lettered", **labels) == 1
    assert sample("mesh_workqueue_tasks_total", outcome="acked", **labels) == 0
