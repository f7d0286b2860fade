"""Prometheus metrics every service shares (gRPC calls served) and the /metrics endpoint of a service process."""

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
