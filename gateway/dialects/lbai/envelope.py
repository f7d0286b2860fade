"""lbai's envelope `{"data", "errorCode", "message", "success"}` and page shape."""

from __future__ import annotations

import math
from typing import Any

from fastapi.responses import JSONResponse, Response

from gateway.errors import Dialect
from services.kit.errors import MeshError

PREFIX = "/ai-api/v1"


def ok(data: Any, message: str = "成功") -> dict[str, Any]:
    """A success envelope."""
    return {"data": data, "errorCode": 0, "line": None, "message": message, "success": True}


def page(items: list[Any], *, page_num: int, page_size: int, total: int) -> dict[str, Any]:
    """lbai's page: `{"isMore", "items", "pageNum", "pageSize", "startIndex", "totalCount", "totalPage"}`."""
    return {
        "isMore": page_num * page_size < total,
        "items": items,
        "pageNum": page_num,
        "pageSize": page_size,
        "startIndex": (page_num - 1) * page_size,
        "totalCount": total,
        "totalPage": math.ceil(total / page_size) if page_size else 0,
    }


def render_error(error: MeshError, status: int) -> Response:
    """errorCode is the HTTP status; the message names the field for bad input."""
    message = error.message if not error.field or error.field in error.message else f"{error.field}: {error.message}"
    body = {"data": None, "errorCode": status, "line": None, "message": message, "success": False}
    return JSONResponse(body, status_code=status)


DIALECT = Dialect(name="lbai", prefix=PREFIX, render=render_error)
