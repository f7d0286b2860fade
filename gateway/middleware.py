"""ASGI middleware: request ids on every response and in logs, plus Prometheus request metrics."""

from __future__ import annotations

import re
import time
from typing import Any

import structlog
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kit.context import new_request_id, principal_var, request_id_var

log = structlog.get_logger(__name__)
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")

REQUESTS = Counter("mesh_gateway_requests_total", "HTTP requests served", ["method", "route", "status"])
LATENCY = Histogram(
    "mesh_gateway_request_seconds",
    "Time to the response start",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class RequestContextMiddleware:
    """Accepts a sane incoming X-Request-Id or makes one, binds it, and echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _VALID_ID.match(incoming) else new_request_id()
        request_id_var.set(request_id)
        principal_var.set(None)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(service="gateway", request_id=request_id)
        started = time.perf_counter()
        status_holder: dict[str, Any] = {"status": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
                route = _route_template(scope)
                LATENCY.labels(scope.get("method", "WS"), route).observe(time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http":
                route = _route_template(scope)
                REQUESTS.labels(scope["method"], route, str(status_holder["status"])).inc()
                log.info(
                    "http_request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status_holder["status"],
                    ms=round((time.perf_counter() - started) * 1000, 2),
                )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"
