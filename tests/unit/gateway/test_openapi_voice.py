"""The OpenAPI document describes the lbai voice routes' real responses; the voice WebSockets stay out of it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from gateway.config import GatewaySettings
from gateway.dialects.lbai import voice
from gateway.main import create_app
from tests.unit.gateway.openapi_walk import fields, response_schema

ENVELOPE = ["data", "errorCode", "line", "message", "success"]
DATA = {
    ("POST", "/ai-api/v1/tts"): ["url"],
    ("GET", "/ai-api/v1/trainingSpace/voiceInfo"): [
        "fileId",
        "fileName",
        "fileUrl",
        "format",
        "durationMs",
        "parseStatus",
        "text",
        "errorMessage",
    ],
}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return create_app(GatewaySettings(data_dir=tmp_path_factory.mktemp("openapi-voice"))).openapi()


def test_every_lbai_voice_route_is_checked_here() -> None:
    routes = {(m, r.path) for r in voice.router.routes if isinstance(r, APIRoute) for m in r.methods or ()}
    assert routes == set(DATA)


@pytest.mark.parametrize(("method", "path"), sorted(DATA))
def test_lbai_voice_routes_name_their_fields(document: dict[str, Any], method: str, path: str) -> None:
    schema = response_schema(document, method, path)
    assert fields(document, schema) == ENVELOPE
    assert fields(document, schema, "data") == DATA[(method, path)]


def test_tts_takes_a_message(document: dict[str, Any]) -> None:
    body = document["paths"]["/ai-api/v1/tts"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    ref = body["$ref"].rsplit("/", 1)[-1]
    assert document["components"]["schemas"][ref]["required"] == ["message"]


def test_websockets_are_not_in_the_document(document: dict[str, Any]) -> None:
    assert not [path for path in document["paths"] if path.startswith("/api/voice")]
