"""WebSocket plumbing shared by the voice routes: authentication, JSON error frames, close codes, log redaction.

Browsers cannot set headers on a WebSocket, so a socket authenticates with `Authorization: Bearer …` or, failing
that, a `token` query parameter. The socket is accepted first and then refused with an error frame and close code
1008 (policy violation), because a browser sees neither the status nor the body of a refused handshake. The query
token is removed from the request before anything can log it, and a log filter redacts `token=` from uvicorn's
lines as well.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import grpc
import structlog
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from gateway.auth import Authenticator
from gateway.errors import http_status, public_error, retry_after
from services.kit.context import Principal, principal_var
from services.kit.errors import MeshError, Unauthenticated

log = structlog.get_logger(__name__)

NORMAL, UNSUPPORTED, INVALID_DATA, POLICY, TOO_BIG, SERVER_ERROR, TRY_LATER = 1000, 1003, 1007, 1008, 1009, 1011, 1013
QUERY_TOKEN = "token"
_TOKEN_IN_TEXT = re.compile(r"((?:^|[?&\s])(?:access_)?token=)[^&\s\"']*", re.IGNORECASE)
# Errors that end a socket, by gRPC status: what the client should do next.
_CLOSE_CODES = {
    grpc.StatusCode.UNAUTHENTICATED: POLICY,
    grpc.StatusCode.PERMISSION_DENIED: POLICY,
    grpc.StatusCode.NOT_FOUND: POLICY,
    grpc.StatusCode.INVALID_ARGUMENT: INVALID_DATA,
    grpc.StatusCode.FAILED_PRECONDITION: INVALID_DATA,
    grpc.StatusCode.OUT_OF_RANGE: INVALID_DATA,
    grpc.StatusCode.RESOURCE_EXHAUSTED: TRY_LATER,
    grpc.StatusCode.UNAVAILABLE: TRY_LATER,
    grpc.StatusCode.DEADLINE_EXCEEDED: POLICY,
}
_CLOSE_BY_REASON = {"frame_too_large": TOO_BIG, "unsupported_frame": UNSUPPORTED}


def redact(text: str) -> str:
    """The text with every `token=` value replaced, for anything that may reach a log."""
    return _TOKEN_IN_TEXT.sub(r"\1[redacted]", text)


class RedactQueryTokens(logging.Filter):
    """Rewrites records that carry a `token=` query value (uvicorn logs WebSocket paths with their query)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install_log_redaction() -> None:
    """Attach the redaction filter to the loggers uvicorn writes connection lines to."""
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactQueryTokens) for f in target.filters):
            target.addFilter(RedactQueryTokens())


def _take_query_token(websocket: WebSocket) -> str:
    """The `token` query parameter, removed from the scope so no later log line (ours or uvicorn's) shows it."""
    pairs = parse_qsl(websocket.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    token = next((value for key, value in pairs if key == QUERY_TOKEN), "")
    if token:
        kept = [(key, value) for key, value in pairs if key != QUERY_TOKEN]
        websocket.scope["query_string"] = urlencode(kept).encode("latin-1")
    return token.strip()


def socket_token(websocket: WebSocket) -> str:
    """The bearer token from the Authorization header, else the `token` query parameter (browsers)."""
    query_token = _take_query_token(websocket)
    scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return query_token


def close_code(error: MeshError) -> int:
    """The close code for an error that ends a socket."""
    return _CLOSE_BY_REASON.get(error.reason) or _CLOSE_CODES.get(error.code, SERVER_ERROR)


def error_frame(error: MeshError) -> dict[str, Any]:
    """`{"type": "error", "message"}` plus the machine reason; a busy service also says when to retry."""
    shown = public_error(error)
    frame: dict[str, Any] = {"type": "error", "message": shown.message, "reason": shown.reason}
    seconds = retry_after(shown, http_status(shown)) if shown.code == grpc.StatusCode.RESOURCE_EXHAUSTED else None
    if seconds is not None:
        frame["message"] = f"{shown.message}; the service is busy, retry in {seconds} s"
        frame["retry_after_s"] = seconds
    return frame


@dataclass
class Socket:
    """An accepted, authenticated WebSocket and its session's bookkeeping."""

    websocket: WebSocket
    principal: Principal
    route: str
    started: float = field(default_factory=time.monotonic)
    bytes_in: int = 0
    bytes_out: int = 0

    @property
    def open(self) -> bool:
        ws = self.websocket
        return ws.client_state == WebSocketState.CONNECTED and ws.application_state == WebSocketState.CONNECTED

    async def send_json(self, frame: dict[str, Any]) -> None:
        await self.websocket.send_json(frame)

    async def send_bytes(self, data: bytes) -> None:
        self.bytes_out += len(data)
        await self.websocket.send_bytes(data)

    async def fail(self, error: MeshError) -> None:
        """Send the error frame and close (quietly, if the client has gone meanwhile)."""
        log.info("websocket_error", route=self.route, code=error.code.name, reason=error.reason)
        await refuse(self.websocket, error)

    async def close(self) -> None:
        if self.open:
            try:
                await self.websocket.close(NORMAL)
            except (WebSocketDisconnect, RuntimeError, OSError):
                pass

    def finished(self, outcome: str) -> None:
        log.info(
            "websocket_session",
            route=self.route,
            outcome=outcome,
            ms=round((time.monotonic() - self.started) * 1000),
            bytes_in=self.bytes_in,
            bytes_out=self.bytes_out,
        )


async def refuse(websocket: WebSocket, error: MeshError) -> None:
    """Error frame, then close with the error's code; a client that is gone already is fine."""
    try:
        if websocket.application_state == WebSocketState.CONNECTED:
            await websocket.send_json(error_frame(error))
            await websocket.close(close_code(error), reason=error.reason[:120])
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass


async def accept(websocket: WebSocket, *, route: str) -> Socket | None:
    """Accept and authenticate; a refused socket gets an error frame and is closed (None)."""
    token = socket_token(websocket)
    await websocket.accept()
    authenticator: Authenticator = websocket.app.state.authenticator
    try:
        if not token or token in {"None", "null", "undefined"}:
            raise Unauthenticated(
                "missing token: send Authorization: Bearer <token> or ?token=<token>", reason="unauthorized"
            )
        principal = await authenticator.authenticate(token)
    except MeshError as error:
        log.info("websocket_refused", route=route, reason=error.reason)
        await refuse(websocket, error)
        return None
    principal_var.set(principal)
    structlog.contextvars.bind_contextvars(user_id=principal.user_id)
    return Socket(websocket=websocket, principal=principal, route=route)
