"""The OpenAPI document describes every lbai route's real 2xx response: the envelope, its page and its data."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from gateway.config import GatewaySettings
from gateway.dialects.lbai import chat, cloud_space, mini_programs, training
from gateway.main import create_app
from tests.unit.gateway.openapi_walk import fields, response_schema, walk

ENVELOPE = ["data", "errorCode", "line", "message", "success"]
PAGE = ["isMore", "items", "pageNum", "pageSize", "startIndex", "totalCount", "totalPage"]
REPLY = ["id", "session_id", "create_time", "message"]
STORED = ["fileId", "fileUrl"]
P = "/ai-api/v1"
# (method, path) -> the data's fields in the order they are sent; [] where data is always null.
DATA: dict[tuple[str, str], list[str]] = {
    ("POST", f"{P}/chat/completions"): REPLY,
    ("POST", f"{P}/miniProgram/chat"): REPLY,
    ("POST", f"{P}/miniProgram/create"): REPLY,
    ("GET", f"{P}/miniProgram/getsessionid"): ["session_id", "command_session_id"],
    ("GET", f"{P}/miniProgram/getSetting"): [
        "mini_program_name",
        "mini_program_icon",
        "mini_program_introduction",
        "mini_program_instructions",
        "mini_program_setting",
    ],
    ("GET", f"{P}/miniProgram/share/sessionid"): ["session_id"],
    ("GET", f"{P}/chat/list"): ["session_id", "command_session_id", "nick_name", "header_url", "session_type"],
    ("POST", f"{P}/trainingSpace/addFileOrImg"): STORED,
    ("POST", f"{P}/trainingSpace/addVoice"): STORED,
    ("POST", f"{P}/miniProgram/saveUpdate"): [],
    ("POST", f"{P}/miniProgram/mount/file"): [],
    ("POST", f"{P}/cloudSpace/del"): [],
    ("POST", f"{P}/aiTrainingGround/add"): [],
    ("GET", f"{P}/aiTrainingGround/retry"): [],
}
# (method, path) -> the fields of one page item.
PAGES: dict[tuple[str, str], list[str]] = {
    ("GET", f"{P}/chat/msgList"): ["id", "header_url", "message", "create_time", "user_type"],
    ("GET", f"{P}/cloudSpace/list"): ["fileId", "fileName", "fileSize", "createTime", "fileUrl", "format"],
    ("GET", f"{P}/aiTrainingGround/list"): [
        "fileId",
        "fileName",
        "beBeingTrainedTime",
        "trainedStatus",
        "fileUrl",
        "errorMessage",
    ],
}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return create_app(GatewaySettings(data_dir=tmp_path_factory.mktemp("openapi-lbai"))).openapi()


def test_every_lbai_route_is_checked_here() -> None:
    routes = {
        (method, route.path)
        for module in (chat, cloud_space, mini_programs, training)
        for route in module.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert routes == set(DATA) | set(PAGES)


@pytest.mark.parametrize(("method", "path"), sorted(DATA))
def test_enveloped_data_names_its_fields(document: dict[str, Any], method: str, path: str) -> None:
    schema = response_schema(document, method, path)
    assert fields(document, schema) == ENVELOPE
    expected = DATA[(method, path)]
    assert fields(document, schema, "data") == expected
    if not expected:
        assert walk(document, schema, "data")["type"] == "null"


@pytest.mark.parametrize(("method", "path"), sorted(PAGES))
def test_pages_name_the_page_and_item_fields(document: dict[str, Any], method: str, path: str) -> None:
    schema = response_schema(document, method, path)
    assert fields(document, schema) == ENVELOPE
    assert fields(document, schema, "data") == PAGE
    assert fields(document, schema, "data", "items") == PAGES[(method, path)]


@pytest.mark.parametrize(("method", "path"), [("POST", f"{P}/chat/completions"), ("GET", f"{P}/chat/msgList")])
def test_messages_carry_text_type_and_attachments(document: dict[str, Any], method: str, path: str) -> None:
    schema = response_schema(document, method, path)
    keys = ("data", "message") if method == "POST" else ("data", "items", "message")
    assert fields(document, schema, *keys) == ["text", "text_type", "file_attachs"]
    assert fields(document, schema, *keys, "file_attachs") == ["file_id", "url", "file_type", "url_invalid"]
