"""Maps MeshError and validation failures to each dialect's HTTP status and error envelope."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.sign_in_messages import localized
from services.kit.context import request_id_var
from services.kit.errors import Internal, InvalidArgument, MeshError, NotFound, ResourceExhausted, Unavailable

log = structlog.get_logger(__name__)

# grpc-gateway's mapping from status code to HTTP status.
HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


# Reasons whose HTTP status is more precise than their gRPC code's.
STATUS_BY_REASON = {
    "file_too_large": 413,
    "image_too_large": 413,
    "body_too_large": 413,
    "message_too_large": 413,
    "document_too_large": 413,
}
# Seconds to wait before retrying, unless the service says (metadata retry_after_s): a restarting service comes
# back within seconds (the launcher restarts it with backoff); a rate limit's window is longer.
RETRY_AFTER_S = {503: 5, 429: 60}
# A 503 with one of these reasons never reached the service: its text is the transport's (addresses, gRPC states).
TRANSPORT_REASONS = frozenset({"service_unavailable", "cancelled"})
UNREACHABLE_MESSAGE = "the service behind this route is temporarily unavailable, retry later"
# gRPC's own text for a message over the channel limit (no ErrorInfo: the transport said it, not a service).
_MESSAGE_TOO_LARGE = re.compile(r"^(Received|Sent) message larger than max")


def http_status(error: MeshError) -> int:
    return STATUS_BY_REASON.get(error.reason) or HTTP_STATUS.get(error.code, 500)


def public_error(error: MeshError) -> MeshError:
    """The error as a client may see it: transport text and internal failures go to the log, not the client.

    A 5xx of our own (INTERNAL, UNKNOWN, DATA_LOSS…) answers a generic message with the request id, which the
    log lines of every process that handled the request carry too.
    """
    if error.code == grpc.StatusCode.UNAVAILABLE and error.reason in TRANSPORT_REASONS:
        log.warning("service_unreachable", reason=error.reason, detail=error.message)
        return Unavailable(UNREACHABLE_MESSAGE, reason=error.reason, metadata=error.metadata)
    if error.code == grpc.StatusCode.RESOURCE_EXHAUSTED and _MESSAGE_TOO_LARGE.match(error.message):
        log.warning("grpc_message_too_large", detail=error.message)
        return ResourceExhausted("the request or its answer is too large", reason="message_too_large")
    if http_status(error) == 500:
        log.warning("internal_error", code=error.code.name, reason=error.reason, detail=error.message)
        request_id = request_id_var.get() or "unknown"
        return Internal(f"internal error (request id {request_id})", reason="internal_error")
    return error


def retry_after(error: MeshError, status: int) -> int | None:
    """Retry-After seconds for a 503 or 429 (the service's hint when it gave one); None for other statuses."""
    default = RETRY_AFTER_S.get(status)
    if default is None:
        return None
    try:
        return max(1, math.ceil(float(error.metadata["retry_after_s"])))
    except (KeyError, ValueError):
        return default


@dataclass(frozen=True)
class Dialect:
    """A dialect's path prefix and the function that renders an error in its envelope."""

    name: str
    prefix: str
    render: Callable[[MeshError, int], Response]


def render_default(error: MeshError, status: int) -> Response:
    body: dict[str, Any] = {"detail": error.message, "reason": error.reason}
    if error.field:
        body["field"] = error.field
    return JSONResponse(body, status_code=status)


class ErrorMapper:
    """Finds the dialect of a request by its path and renders errors the way that dialect does."""

    def __init__(self) -> None:
        self._dialects: list[Dialect] = []

    def register(self, dialect: Dialect) -> None:
        self._dialects.append(dialect)
        self._dialects.sort(key=lambda d: len(d.prefix), reverse=True)

    def render(self, request: Request, error: MeshError) -> Response:
        # Every dialect words a failed sign-in the same way: in the caller's language, or in both.
        error = localized(public_error(error), request.headers.get("accept-language"))
        status = http_status(error)
        render = next((d.render for d in self._dialects if request.url.path.startswith(d.prefix)), render_default)
        response = render(error, status)
        seconds = retry_after(error, status)
        if seconds is not None:
            response.headers["Retry-After"] = str(seconds)
        return response


def field_path(loc: Sequence[Any], body: Any, kind: str) -> str:
    """The field a pydantic error is about, as the client wrote it (`history[0].role`).

    The first part of loc is where the value came from (body, query, path…); a field may share that name (`query`).
    In the body, loc is walked through the submitted data, so union member tags (`str`, `int`) never show up.
    """
    where, parts = (loc[0], list(loc[1:])) if loc else ("body", [])
    if where != "body":
        return ".".join(str(p) for p in parts) or str(where)
    path, value = "", body
    for position, part in enumerate(parts):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        elif not (kind == "missing" and position == len(parts) - 1 and isinstance(value, Mapping | None)):
            break
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def validation_error(exc: RequestValidationError) -> InvalidArgument:
    """The first field pydantic refused, as an InvalidArgument naming it (every reason it gave for that field)."""
    errors = exc.errors()
    if not errors:
        return InvalidArgument("invalid request", field="body")
    first = errors[0]
    kind = first.get("type", "")
    field = field_path(first.get("loc", ()), exc.body, kind)
    if kind == "missing":
        return InvalidArgument(f"{field} is required", field=field)
    if kind in ("json_invalid", "model_attributes_type", "model_type", "dict_type") and field == "body":
        return InvalidArgument("request body must be a JSON object", field=field)
    reasons = [e.get("msg", "invalid value") for e in errors if field_path(e.get("loc", ()), exc.body, "") == field]
    return InvalidArgument(f"{field}: {' or '.join(dict.fromkeys(reasons))}", field=field)


def install_error_handlers(app: FastAPI, mapper: ErrorMapper) -> None:
    """Every failure leaves the gateway in the caller's dialect; never a stack trace."""

    @app.exception_handler(MeshError)
    async def _mesh_error(request: Request, exc: MeshError) -> Response:
        return mapper.render(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return mapper.render(request, validation_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return mapper.render(request, NotFound("no such route", reason="route_not_found"))
        if exc.status_code == 405:
            error = InvalidArgument("method not allowed", reason="method_not_allowed")
            response = mapper.render(request, error)
            response.status_code = 405
            return response
        error = InvalidArgument(str(exc.detail), reason="bad_request")
        response = mapper.render(request, error)
        response.status_code = exc.status_code
        return response

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled_error", path=request.url.path)
        response = mapper.render(request, Internal("internal error"))
        # This handler answers outside the request-id middleware, so the header is set here.
        response.headers["x-request-id"] = request_id_var.get() or ""
        return response
