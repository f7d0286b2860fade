"""Dify's error body `{"code": "app_not_found", "message": "...", "status": 404}` and page shape."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse, Response

from gateway.errors import Dialect
from services.kit.errors import MeshError

PREFIX = "/console/api"


def render_error(error: MeshError, status: int) -> Response:
    """Dify names the failure with a snake_case code; bad input is `invalid_param` naming the field."""
    body: dict[str, Any] = {"code": error.reason, "message": error.message, "status": status}
    if error.field:
        body["params"] = error.field
    return JSONResponse(body, status_code=status)


def page(data: list[Any], *, page: int, limit: int, total: int) -> dict[str, Any]:
    """Dify's page: `{"data", "has_more", "limit", "total", "page"}`."""
    return {"data": data, "has_more": page * limit < total, "limit": limit, "total": total, "page": page}


DIALECT = Dialect(name="dify", prefix=PREFIX, render=render_error)
