"""The OpenAPI document describes the four meeting assistant routes' real answers and their bodies."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from gateway.config import GatewaySettings
from gateway.dialects.lbai import meetings
from gateway.main import create_app
from tests.unit.gateway.openapi_walk import fields, response_schema, walk

P = "/ai-api/v1/meetingAssistant"
ENVELOPE = ["data", "errorCode", "line", "message", "success"]
PAGE = ["isMore", "items", "pageNum", "pageSize", "startIndex", "totalCount", "totalPage"]


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return create_app(GatewaySettings(data_dir=tmp_path_factory.mktemp("openapi-meetings"))).openapi()


def test_the_four_routes_are_served() -> None:
    routes = {(m, r.path) for r in meetings.router.routes if isinstance(r, APIRoute) for m in r.methods or ()}
    assert routes == {("POST", f"{P}/create"), ("POST", f"{P}/upload"), ("POST", f"{P}/show"), ("GET", f"{P}/list")}


def test_answers_are_enveloped_with_their_fields(document: dict[str, Any]) -> None:
    create = response_schema(document, "POST", f"{P}/create")
    assert fields(document, create) == ENVELOPE and fields(document, create, "data") == ["meeting_id"]
    show = response_schema(document, "POST", f"{P}/show")
    assert fields(document, show, "data") == ["doc", "state", "errorMessage"]
    assert walk(document, response_schema(document, "POST", f"{P}/upload"), "data")["type"] == "null"
    listed = response_schema(document, "GET", f"{P}/list")
    assert fields(document, listed, "data") == PAGE
    assert fields(document, listed, "data", "items") == [
        "meeting_id",
        "meeting_name",
        "create_time",
        "meeting_duration",
        "state",
    ]


def test_request_bodies_name_lbais_fields(document: dict[str, Any]) -> None:
    def body(path: str) -> list[str]:
        schema = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        return fields(document, schema)

    assert body(f"{P}/create") == ["language", "auto_organize", "meeting_name"]
    assert body(f"{P}/upload") == ["meeting_id", "voice_file_ids", "is_end"]
    assert body(f"{P}/show") == ["meeting_id", "doc_type", "forced_shutdown"]
    query = {p["name"] for p in document["paths"][f"{P}/list"]["get"]["parameters"]}
    assert query == {"page_size", "page_num"}
