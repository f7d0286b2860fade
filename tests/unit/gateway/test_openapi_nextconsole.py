"""The OpenAPI document describes every NextConsole route's real 2xx response: the envelope and its result."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from meshconsole.chat.v1 import chat_pb2
from meshconsole.identity.v1 import identity_pb2

from gateway.config import GatewaySettings
from gateway.dialects.nextconsole import app_run, downloads, resource_search, resources, users
from gateway.main import create_app
from tests.unit.gateway.openapi_walk import fields, response_schema, walk

ENVELOPE = ["error_code", "error_message", "error_status", "result"]
# The routes emit every field of these protos (proto3 defaults included).
USER = [f.name for f in identity_pb2.User.DESCRIPTOR.fields]
SESSION = [f.name for f in chat_pb2.Session.DESCRIPTOR.fields]
POINT_ACCOUNT = [f.name for f in identity_pb2.PointAccount.DESCRIPTOR.fields]
TOKEN = ["token", "token_type", "expire_time", "user_info"]
# path (all POST) -> the result's fields, in the order they are sent.
RESULTS: dict[str, list[str]] = {
    "/next_console/login_by_password": TOKEN,
    "/next_console/user_center/refresh_token": TOKEN,
    "/next_console/user_center/users/get": USER,
    "/next_console/user_center/users/update": USER,
    "/next_console/app_center/app_run/init_session": SESSION,
    "/next_console/resources/upload": ["id", "name", "url"],
    "/next_console/resources/object/delete": ["delete_cnt"],
    "/next_console/resources/object/download": ["download_url"],
    "/next_console/resources/search_by_resource_keyword": ["data", "author_info", "total"],
    "/next_console/resources/ref/rebuild": ["build_cnt"],
}
COMPLETIONS = "/next_console/app_center/app_run/v2/chat/completions"


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return create_app(GatewaySettings(data_dir=tmp_path_factory.mktemp("openapi-nextconsole"))).openapi()


def test_every_nextconsole_route_is_checked_here(document: dict[str, Any]) -> None:
    routes = {
        (method, route.path)
        for module in (users, app_run, resource_search, resources)
        for route in module.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert routes == {("POST", path) for path in [*RESULTS, COMPLETIONS]}
    # The signed-URL download is dialect-neutral and stays out of the document.
    assert not any(path.startswith(downloads.router.prefix) for path in document["paths"])


@pytest.mark.parametrize("path", sorted(RESULTS))
def test_enveloped_results_name_their_fields(document: dict[str, Any], path: str) -> None:
    schema = response_schema(document, "POST", path)
    assert fields(document, schema) == ENVELOPE
    assert fields(document, schema, "result") == RESULTS[path]


def test_the_user_object_nests_its_point_account_and_roles(document: dict[str, Any]) -> None:
    token = response_schema(document, "POST", "/next_console/login_by_password")
    assert fields(document, token, "result", "user_info") == USER
    assert fields(document, token, "result", "user_info", "user_point_account") == POINT_ACCOUNT
    roles = walk(document, token, "result", "user_info")["properties"]["user_role"]
    assert roles == {"items": {"type": "string"}, "type": "array", "title": "User Role"}


def test_search_results_name_the_hit_and_author_fields(document: dict[str, Any]) -> None:
    schema = response_schema(document, "POST", "/next_console/resources/search_by_resource_keyword")
    hit = fields(document, schema, "result", "data")
    assert hit == [
        "id",
        "resource_id",
        "resource_name",
        "resource_format",
        "resource_size",
        "resource_type",
        "user_id",
        "create_time",
        "snippet",
        "score",
    ]
    author = walk(document, schema, "result", "author_info")
    assert list(author["properties"]) == ["user_id", "user_name", "user_nick_name", "user_avatar", "user_email"]
    # An author identity cannot name is sent as {"user_id"} alone.
    assert author["required"] == ["user_id"]


def test_completions_document_the_whole_answer_and_the_stream(document: dict[str, Any]) -> None:
    whole = response_schema(document, "POST", COMPLETIONS)
    assert fields(document, whole) == [
        "id",
        "object",
        "created",
        "model",
        "session_code",
        "task_id",
        "choices",
        "usage",
    ]
    assert fields(document, whole, "choices") == ["index", "message", "finish_reason"]
    assert fields(document, whole, "choices", "message") == ["role", "content", "reason_content"]
    assert "text/event-stream" in document["paths"][COMPLETIONS]["post"]["responses"]["200"]["content"]
