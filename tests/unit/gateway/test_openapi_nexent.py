"""The OpenAPI document describes every Nexent route's real 2xx response (fields, envelopes, SSE)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from gateway.config import GatewaySettings
from gateway.dialects.nexent import agent, config, conversations, files, indices, models, preprocess, proxy, tasks
from gateway.main import create_app

ROUTERS = (agent, config, conversations, files, indices, models, preprocess, proxy, tasks)
CONVERSATION = ["conversation_id", "conversation_title", "create_time", "update_time"]
HEALTH = ["status", "desc", "connect_status"]
TASK = ["id", "status", "created_at", "updated_at", "error", "source", "index_name", "results"]
SEARCH = ["results", "total", "query_time_ms"]
STREAMS = {("POST", "/api/agent/run"), ("POST", "/api/file/preprocess")}
# (method, path) -> the top-level fields; for `{"code", "message", "data"}` envelopes, the data's fields
# (an empty list when data is a scalar or null).
PLAIN: dict[tuple[str, str], list[str]] = {
    ("POST", "/api/agent/reload_config"): ["success", "message", "status"],
    ("POST", "/api/config/save_config"): ["message", "status"],
    ("GET", "/api/config/load_config"): ["config"],
    ("POST", "/api/file/upload"): ["message", "uploaded_files", "process_tasks", "file_ids"],
    ("POST", "/api/file/storage"): ["message", "success_count", "failed_count", "results"],
    ("GET", "/api/file/storage"): ["total", "files"],
    ("GET", "/api/file/storage/{object_name}"): ["success", "url", "expires"],
    ("DELETE", "/api/file/storage/{object_name}"): ["success", "message"],
    ("POST", "/api/file/storage/batch-urls"): ["urls"],
    ("GET", "/api/proxy/image"): ["success", "error", "base64", "content_type"],
    ("POST", "/api/tasks"): ["task_id"],
    ("POST", "/api/tasks/batch"): ["task_ids"],
    ("GET", "/api/tasks"): ["tasks"],
    ("GET", "/api/tasks/indices/{index_name}/tasks"): ["index_name", "files"],
    ("GET", "/api/tasks/{task_id}"): TASK,
    ("GET", "/api/tasks/{task_id}/details"): TASK,
    ("GET", "/api/indices/health"): ["status", "elasticsearch", "backend", "indices_count"],
    ("GET", "/api/indices"): ["indices", "count", "indices_info"],
    ("POST", "/api/indices/search/accurate"): SEARCH,
    ("POST", "/api/indices/search/semantic"): SEARCH,
    ("POST", "/api/indices/search/hybrid"): SEARCH,
    ("POST", "/api/indices/{index_name}"): ["status", "message", "embedding_dim"],
    ("DELETE", "/api/indices/{index_name}"): ["status", "message"],
    ("GET", "/api/indices/{index_name}/info"): ["base_info", "search_performance", "fields", "files"],
    ("POST", "/api/indices/{index_name}/documents"): ["success", "message", "total_indexed", "total_submitted"],
    ("DELETE", "/api/indices/{index_name}/documents"): ["status", "deleted_count"],
}
ENVELOPED: dict[tuple[str, str], list[str]] = {
    ("PUT", "/api/conversation/create"): CONVERSATION,
    ("GET", "/api/conversation/list"): CONVERSATION,
    ("POST", "/api/conversation/rename"): [],
    ("POST", "/api/conversation/sources"): ["searches", "images"],
    ("POST", "/api/conversation/generate_title"): [],
    ("POST", "/api/conversation/message/update_opinion"): [],
    ("DELETE", "/api/conversation/{conversation_id}"): [],
    ("GET", "/api/conversation/{conversation_id}"): ["conversation_id", "create_time", "message"],
    ("POST", "/api/model/create"): [],
    ("POST", "/api/model/update"): ["model_name"],
    ("POST", "/api/model/delete"): ["model_name"],
    ("GET", "/api/model/list"): ["model_id", "model_name", "model_type", "connect_status", "is_platform"],
    ("GET", "/api/model/healthcheck"): HEALTH,
    ("GET", "/api/model/get_connect_status"): ["model_name", "connect_status"],
    ("POST", "/api/model/update_connect_status"): ["model_name", "connect_status"],
    ("POST", "/api/model/verify_config"): ["connectivity", "message", "connect_status"],
    ("GET", "/api/me/model/list"): ["id", "name", "type", "description"],
    ("GET", "/api/me/healthcheck"): HEALTH,
    ("GET", "/api/me/model/healthcheck"): HEALTH,
}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = GatewaySettings(data_dir=tmp_path_factory.mktemp("openapi-nexent"))
    return create_app(settings).openapi()


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema itself, with a $ref (or a list's item $ref) followed."""
    if schema.get("type") == "array":
        schema = schema["items"]
    ref = schema.get("$ref")
    if ref is None:
        return schema
    found: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return found


def ok_content(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    responses = document["paths"][path][method.lower()]["responses"]
    ok = [responses[code] for code in responses if code.startswith("2")]
    assert ok, f"{method} {path} documents no 2xx response"
    content: dict[str, Any] = ok[0].get("content", {})
    return content


def fields(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    schema = ok_content(document, method, path)["application/json"]["schema"]
    properties: dict[str, Any] = resolve(document, schema).get("properties", {})
    return properties


def test_every_nexent_route_is_checked_here() -> None:
    routes = {
        (method, route.path.replace("{object_name:path}", "{object_name}"))
        for module in ROUTERS
        for route in module.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert routes == set(PLAIN) | set(ENVELOPED) | STREAMS


@pytest.mark.parametrize(("method", "path"), sorted(PLAIN))
def test_plain_responses_name_their_fields(document: dict[str, Any], method: str, path: str) -> None:
    assert list(fields(document, method, path)) == PLAIN[(method, path)]


@pytest.mark.parametrize(("method", "path"), sorted(ENVELOPED))
def test_enveloped_responses_name_code_message_and_the_data_fields(
    document: dict[str, Any], method: str, path: str
) -> None:
    envelope = fields(document, method, path)
    assert list(envelope) == ["code", "message", "data"]
    data = resolve(document, envelope["data"])
    expected = ENVELOPED[(method, path)]
    assert set(expected) <= set(data.get("properties", {})), data
    if not expected:
        assert "type" in data or "anyOf" in data, data


def test_history_entries_are_the_user_and_the_assistant_shapes(document: dict[str, Any]) -> None:
    detail = resolve(document, fields(document, "GET", "/api/conversation/{conversation_id}")["data"])
    entries = [resolve(document, s) for s in detail["properties"]["message"]["items"]["anyOf"]]
    assert "minio_files" in entries[0]["properties"] and "minio_files" not in entries[1]["properties"]
    assert {"role", "message", "message_id", "opinion_flag", "picture", "search"} <= set(entries[1]["properties"])


@pytest.mark.parametrize(("method", "path"), sorted(STREAMS))
def test_streams_document_server_sent_events(document: dict[str, Any], method: str, path: str) -> None:
    assert list(ok_content(document, method, path)) == ["text/event-stream"]
