"""Field types for request models: free-form objects with a size cap, and integers that fit a proto int32."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, Field

from gateway.strict_json import INT32_MAX, INT32_MIN

# A free-form object (Dify inputs, NextConsole workflow_params, Nexent config, task params) is stored with the
# records it belongs to and read back with every list of them: kept small, it can never outgrow a gRPC message.
FREE_FORM_MAX_BYTES = 64 * 1024
FREE_FORM_MAX_KEYS = 100


def _capped(value: dict[str, Any]) -> dict[str, Any]:
    if len(value) > FREE_FORM_MAX_KEYS:
        raise ValueError(f"at most {FREE_FORM_MAX_KEYS} keys")
    try:
        size = len(orjson.dumps(value))
    except TypeError:
        raise ValueError("must be plain JSON") from None
    if size > FREE_FORM_MAX_BYTES:
        raise ValueError(f"at most {FREE_FORM_MAX_BYTES // 1024} KiB as JSON")
    return value


FreeForm = Annotated[dict[str, Any], AfterValidator(_capped)]
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
