"""Prometheus metrics every service shares (gRPC calls served, work queues) and a service process's /metrics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager

import grpc
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from services.kit.errors import MeshError

_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
GRPC_REQUESTS = Counter(
    "mesh_grpc_server_requests_total", "gRPC calls served, by method and status code", ["method", "code"]
)
GRPC_SECONDS = Histogram(
    "mesh_grpc_server_request_seconds",
    "Time to serve a gRPC call (a stream: until it ends)",
    ["method"],
    buckets=_SECONDS,
)
GRPC_IN_FLIGHT = Gauge("mesh_grpc_server_in_flight", "gRPC calls being served now", ["method"])


def status_code(error: BaseException | None) -> str:
    """The gRPC status name a call ended with."""
    if error is None:
        return grpc.StatusCode.OK.name
    if isinstance(error, MeshError):
        return error.code.name
    if isinstance(error, GeneratorExit | asyncio.CancelledError):
        return grpc.StatusCode.CANCELLED.name
    return grpc.StatusCode.INTERNAL.name


@contextmanager
def observed_call(method: str) -> Iterator[None]:
    """Count one served call, its latency and its status; in flight while the block runs."""
    started = time.perf_counter()
    in_flight = GRPC_IN_FLIGHT.labels(method)
    in_flight.inc()
    error: BaseException | None = None
    try:
        yield
    except BaseException as raised:
        error = raised
        raise
    finally:
        in_flight.dec()
        GRPC_SECONDS.labels(method).observe(time.perf_counter() - started)
        GRPC_REQUESTS.labels(method, status_code(error)).inc()


def serve_metrics(*, port: int, host: str) -> None:
    """Serve this process's metrics at http://host:port/metrics (a daemon thread); port 0 serves none."""
    if port:
        start_http_server(port, addr=host)


# JetStream work queues: what a consumer sees of its stream (lag) and what happens to each delivery.
QUEUE_PENDING = Gauge(
    "mesh_workqueue_pending", "Messages the consumer has not been delivered yet (its lag)", ["stream", "consumer"]
)
QUEUE_ACK_PENDING = Gauge(
    "mesh_workqueue_ack_pending", "Messages delivered and not yet acknowledged", ["stream", "consumer"]
)
QUEUE_REDELIVERED = Gauge(
    "mesh_workqueue_redelivered", "Messages delivered more than once and not yet acknowledged", ["stream", "consumer"]
)
QUEUE_REDELIVERIES = Counter(
    "mesh_workqueue_redeliveries_total",
    "Deliveries this process handled that were not the first",
    ["stream", "consumer"],
)
QUEUE_TASKS = Counter(
    "mesh_workqueue_tasks_total",
    "Deliveries handled, by outcome (acked, retried, dead_lettered)",
    ["stream", "consumer", "outcome"],
)
QUEUE_DEAD_LETTERS = Counter(
    "mesh_workqueue_dead_letters_total",
    "Messages moved to MESH_DLQ, by reason (permanent_failure, retries_exhausted, max_deliveries, expired)",
    ["stream", "consumer", "reason"],
)
QUEUE_TASK_SECONDS = Histogram(
    "mesh_workqueue_task_seconds", "Time a handler took for one delivery", ["stream", "consumer"], buckets=_SECONDS
)


class QueueMetrics:
    """One consumer's series, with its labels bound once."""

    def __init__(self, stream: str, consumer: str) -> None:
        self.labels = (stream, consumer)
        self.pending = QUEUE_PENDING.labels(*self.labels)
        self.ack_pending = QUEUE_ACK_PENDING.labels(*self.labels)
        self.redelivered = QUEUE_REDELIVERED.labels(*self.labels)
        self.redeliveries = QUEUE_REDELIVERIES.labels(*self.labels)
        self.seconds = QUEUE_TASK_SECONDS.labels(*self.labels)

    def lag(self, *, pending: int, ack_pending: int, redelivered: int) -> None:
        self.pending.set(pending)
        self.ack_pending.set(ack_pending)
        self.redelivered.set(redelivered)

    def outcome(self, outcome: str) -> None:
        QUEUE_TASKS.labels(*self.labels, outcome).inc()

    def dead_lettered(self, reason: str, count: int = 1) -> None:
        QUEUE_DEAD_LETTERS.labels(*self.labels, reason).inc(count)
