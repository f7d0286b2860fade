"""Bad input in every dialect: a 4xx in the dialect's envelope whose message names the offending field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.chat.helpers import bearer, create_app, new_tenant
from tests.e2e.conftest import MeshClient, sha

# (dialect, method, path, json body or None, query params or None, the field the answer must name)
Case = tuple[str, str, str, Any, dict[str, Any] | None, str]
APP = "{app_id}"
CASES: list[Case] = [
    # NextConsole
    (
        "nextconsole",
        "POST",
        "/next_console/login_by_password",
        {"user_account": 5, "user_password": sha("x")},
        None,
        "user_account",
    ),
    ("nextconsole", "POST", "/next_console/login_by_password", {"user_account": "a@b.c"}, None, "user_password"),
    ("nextconsole", "POST", "/next_console/user_center/users/update", {}, None, "user_nick_name"),
    ("nextconsole", "POST", "/next_console/user_center/users/update", {"user_age": "old"}, None, "user_age"),
    ("nextconsole", "POST", "/next_console/user_center/users/get", {"user_id": "abc"}, None, "user_id"),
    ("nextconsole", "POST", "/next_console/user_center/refresh_token", {}, None, "expire_time"),
    ("nextconsole", "POST", "/next_console/app_center/app_run/init_session", {"app_code": 7}, None, "app_code"),
    (
        "nextconsole",
        "POST",
        "/next_console/app_center/app_run/v2/chat/completions",
        {"app_code": APP, "messages": [{"role": "user", "content": 5}]},
        None,
        "messages[0].content",
    ),
    ("nextconsole", "POST", "/next_console/resources/object/delete", {"resource_id": [1]}, None, "resource_id"),
    (
        "nextconsole",
        "POST",
        "/next_console/resources/search_by_resource_keyword",
        {"resource_keyword": 3},
        None,
        "resource_keyword",
    ),
    # Dify console
    ("dify", "POST", "/console/api/apps", {"name": 5, "mode": "chat"}, None, "name"),
    ("dify", "POST", "/console/api/apps", {"mode": "chat"}, None, "name"),
    ("dify", "GET", "/console/api/apps", None, {"page": "first"}, "page"),
    (
        "dify",
        "POST",
        f"/console/api/apps/{APP}/chat-messages",
        {"query": 5, "response_mode": "blocking"},
        None,
        "query",
    ),
    ("dify", "POST", f"/console/api/apps/{APP}/chat-messages", {"query": "x", "inputs": []}, None, "inputs"),
    ("dify", "POST", f"/console/api/apps/{APP}/feedbacks", {"rating": "like"}, None, "message_id"),
    ("dify", "POST", f"/console/api/apps/{APP}/site-enable", {"enable_site": "yes"}, None, "enable_site"),
    # Nexent
    ("nexent", "POST", "/api/agent/run", {"query": 5}, None, "query"),
    ("nexent", "POST", "/api/agent/run", {}, None, "query"),
    ("nexent", "POST", "/api/agent/run", {"query": "x", "history": [{"role": 3}]}, None, "history[0].role"),
    ("nexent", "POST", "/api/agent/run", {"query": "x", "conversation_id": [1]}, None, "conversation_id"),
    ("nexent", "POST", "/api/conversation/rename", {"conversation_id": 1}, None, "name"),
    ("nexent", "POST", "/api/conversation/message/update_opinion", {"opinion": "Y"}, None, "message_id"),
    ("nexent", "PUT", "/api/conversation/create", {"title": 9}, None, "title"),
    # lbai
    ("lbai", "POST", "/ai-api/v1/chat/completions", {"session_id": "s"}, None, "user_question"),
    (
        "lbai",
        "POST",
        "/ai-api/v1/chat/completions",
        {"session_id": "s", "user_question": {"type": "voice", "content": "x"}},
        None,
        "user_question.type",
    ),
    (
        "lbai",
        "POST",
        "/ai-api/v1/miniProgram/saveUpdate",
        {"command_session_id": "x", "mini_program_name": 5},
        None,
        "mini_program_name",
    ),
    ("lbai", "POST", "/ai-api/v1/miniProgram/mount/file", {"knowledge_base": {"fileIds": "1"}}, None, "session_id"),
    ("lbai", "GET", "/ai-api/v1/chat/list", None, {"session_type": "all"}, "session_type"),
    ("lbai", "GET", "/ai-api/v1/chat/msgList", None, {"page_size": 5}, "session_id"),
]


def message_of(dialect: str, reply: Any) -> str:
    """The human message of an error in the dialect's envelope, checking the envelope's shape on the way."""
    body = reply.json()
    if dialect == "nextconsole":
        assert body["error_status"] is True and body["error_code"] in (1002, reply.status_code), body
        return str(body["error_message"])
    if dialect == "dify":
        assert set(body) >= {"code", "message", "status"} and body["status"] == reply.status_code, body
        return f"{body['message']} ({body.get('params', '')})"
    if dialect == "nexent":
        assert set(body) == {"detail"}, body
        return str(body["detail"])
    assert (body["data"], body["errorCode"], body["success"]) == (None, reply.status_code, False), body
    return str(body["message"])


@pytest.fixture(scope="module")
def caller(mesh: MeshClient) -> Iterator[tuple[str, str]]:
    token = new_tenant(mesh, "bad-input")
    yield token, create_app(mesh, token)


@pytest.mark.parametrize(("dialect", "method", "path", "body", "params", "field"), CASES)
def test_bad_input_names_the_field(
    mesh: MeshClient,
    caller: tuple[str, str],
    dialect: str,
    method: str,
    path: str,
    body: Any,
    params: dict[str, Any] | None,
    field: str,
) -> None:
    token, app_id = caller
    if isinstance(body, dict) and body.get("app_code") == APP:
        body = {**body, "app_code": app_id}
    reply = mesh.http.request(method, path.replace(APP, app_id), json=body, params=params, headers=bearer(token))
    assert 400 <= reply.status_code < 500, (reply.status_code, reply.text)
    message = message_of(dialect, reply)
    assert field in message, (field, message)
    assert not message.startswith("body:") and ".str:" not in message and ".int:" not in message, message
