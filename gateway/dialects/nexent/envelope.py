"""Nexent's envelopes: `{"code": 0, ...}` for conversations, `{"code": 200, ...}` for models, `{"detail"}` errors."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse, Response

from gateway.errors import Dialect
from services.kit.errors import MeshError

PREFIX = "/api/"


def conversation_ok(data: Any, message: str = "success") -> dict[str, Any]:
    """Conversation group: `{"code": 0, "message": "success", "data": ...}`."""
    return {"code": 0, "message": message, "data": data}


def model_ok(data: Any, message: str = "success") -> dict[str, Any]:
    """Model group: `{"code": 200, "message": ..., "data": ...}`."""
    return {"code": 200, "message": message, "data": data}


def render_error(error: MeshError, status: int) -> Response:
    """FastAPI's own error shape, which Nexent uses: `{"detail": "..."}` with the HTTP status."""
    detail = error.message if not error.field or error.field in error.message else f"{error.field}: {error.message}"
    return JSONResponse({"detail": detail}, status_code=status)


DIALECT = Dialect(name="nexent", prefix=PREFIX, render=render_error)
