"""NextConsole's response envelope and error mapping."""

from __future__ import annotations

from typing import Any

import grpc
from fastapi.responses import JSONResponse, Response

from gateway.errors import Dialect
from services.kit.errors import MeshError

PREFIX = "/next_console"
BAD_PARAMS_CODE = 1002

_ERROR_CODES: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: BAD_PARAMS_CODE,
    grpc.StatusCode.FAILED_PRECONDITION: BAD_PARAMS_CODE,
    grpc.StatusCode.OUT_OF_RANGE: BAD_PARAMS_CODE,
}


def ok(result: Any) -> dict[str, Any]:
    """A success envelope."""
    return {"error_code": 0, "error_message": "", "error_status": False, "result": result}


def render_error(error: MeshError, status: int) -> Response:
    """error_code is the HTTP-like code (401, 404, 429…), or 1002 for bad parameters."""
    body = {
        "error_code": _ERROR_CODES.get(error.code, status),
        "error_message": error.message,
        "error_status": True,
        "result": {"field": error.field, "reason": error.reason} if error.field else None,
    }
    return JSONResponse(body, status_code=status)


DIALECT = Dialect(name="nextconsole", prefix=PREFIX, render=render_error)
