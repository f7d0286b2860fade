"""Strict JSON for request bodies: what Python's json accepts but the mesh cannot store is refused, naming the field.

Python's decoder takes lone surrogates ("\\ud800"), NaN, Infinity, 1e999 (as inf), integers of any size and any
nesting; each of these later fails as a 500 (UTF-8 encoding, protobuf ranges, Struct depth) or cannot be stored
(NUL in Postgres text). Checking the decoded value once, at the edge, turns all of them into a 400 naming the field.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from services.kit.errors import InvalidArgument

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why a string cannot be stored (a lone surrogate or a NUL), or None."""
    found = _BAD_TEXT.search(value)
    if found is None:
        return None
    return "must not contain NUL characters" if found.group() == "\x00" else "must be valid Unicode (lone surrogate)"


def printable(key: str) -> str:
    """A key as it may appear in an error message (escaped where it cannot be encoded)."""
    return key.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _join(path: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{path}[{part}]"
    return f"{path}.{printable(part)}" if path else printable(part)


def check_value(value: Any, *, max_depth: int, path: str = "", depth: int = 0) -> None:
    """Raise InvalidArgument naming the first field that is not storable JSON."""
    if isinstance(value, dict | list):
        depth += 1
        if depth > max_depth:
            # The outermost field holding the nesting, which is what a client can act on.
            top = re.split(r"[.\[]", path, maxsplit=1)[0] or "body"
            raise InvalidArgument(f"{top}: JSON is nested deeper than {max_depth} levels", field=top)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            child = _join(path, key)
            if isinstance(key, str) and (problem := text_problem(key)):
                raise InvalidArgument(f"{child}: field name {problem}", field=child)
            check_value(item, max_depth=max_depth, path=child, depth=depth)
        return
    field = path or "body"
    if isinstance(value, str):
        if problem := text_problem(value):
            raise InvalidArgument(f"{field} {problem}", field=field)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int | _Huge):
        if isinstance(value, _Huge) or not INT64_MIN <= value <= INT64_MAX:
            raise InvalidArgument(f"{field} is out of range (64-bit integers only)", field=field)
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidArgument(f"{field} must be a finite number", field=field)


def _constant(name: str) -> float:
    # NaN and ±Infinity are not JSON; decoded as non-finite floats, the walk names their field.
    return float("nan") if name == "NaN" else float(name.replace("Infinity", "inf"))


class _Huge:
    """An integer literal too long to be a 64-bit integer (not converted: that costs quadratic time)."""


_HUGE = _Huge()


def _bounded_int(digits: str) -> int | _Huge:
    return int(digits) if len(digits.lstrip("-")) <= 19 else _HUGE


def check_body(body: bytes, *, max_depth: int) -> None:
    """Decode a JSON request body and check it; text that is not JSON at all is left to the route's own parser."""
    try:
        value = json.loads(body, parse_constant=_constant, parse_int=_bounded_int)
    except UnicodeDecodeError:
        raise InvalidArgument("request body must be UTF-8 encoded JSON", field="body") from None
    except RecursionError:
        raise InvalidArgument(f"body: JSON is nested deeper than {max_depth} levels", field="body") from None
    except ValueError:
        return
    check_value(value, max_depth=max_depth)
