"""Reads response schemas out of the gateway's OpenAPI document, following $refs, list items and nullables."""

from __future__ import annotations

from typing import Any


def response_schema(document: dict[str, Any], method: str, path: str, media: str = "application/json") -> Any:
    """The schema of the first 2xx response of a route, for one media type."""
    responses = document["paths"][path][method.lower()]["responses"]
    ok = [response for code, response in responses.items() if code.startswith("2")]
    assert ok, f"{method} {path} documents no 2xx response"
    return ok[0]["content"][media].get("schema", {})


def walk(document: dict[str, Any], schema: Any, *keys: str) -> dict[str, Any]:
    """The schema at `keys` (property names) below schema, each step unwrapped by `unwrap`."""
    schema = unwrap(document, schema)
    for key in keys:
        schema = unwrap(document, schema["properties"][key])
    return schema


def unwrap(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a $ref, a list's items, or an anyOf with one non-null choice, until none is left."""
    while True:
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        elif schema.get("type") == "array":
            schema = schema["items"]
        elif len(choices := [s for s in schema.get("anyOf", []) if s.get("type") != "null"]) == 1:
            schema = choices[0]
        else:
            return schema


def fields(document: dict[str, Any], schema: Any, *keys: str) -> list[str]:
    """The property names at `keys`, in the order the model declares (and the route emits) them."""
    return list(walk(document, schema, *keys).get("properties", {}))
