"""The OpenAPI document describes every Dify console route's real 2xx response (fields in order, pages, SSE)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from gateway.config import GatewaySettings
from gateway.dialects.dify import app_config, apps, conversation_messages, conversations, feedback, messages, statistics
from gateway.main import create_app
from tests.unit.gateway.openapi_walk import fields, response_schema, walk

ROUTERS = (apps, app_config, conversation_messages, conversations, feedback, messages, statistics)
APP = "/console/api/apps/{app_id}"
APP_COMMON = ["id", "name", "description", "mode", "icon_type", "icon", "icon_background", "icon_url"]
APP_DETAIL = [
    *APP_COMMON,
    *("enable_site", "enable_api", "api_rpm", "api_rph", "is_demo", "model_config", "workflow", "site"),
    *("use_icon_as_answer_icon", "created_at", "updated_at"),
]
APP_ITEM = [*APP_COMMON, "max_active_requests", "model_config", "workflow", "use_icon_as_answer_icon"]
APP_ITEM += ["created_at", "updated_at", "tags"]
SITE = ["app_id", "access_token", "code", "title", "icon_type", "icon", "icon_background", "icon_url"]
SITE += ["description", "default_language", "chat_color_theme", "chat_color_theme_inverted", "customize_domain"]
SITE += ["copyright", "privacy_policy", "custom_disclaimer", "customize_token_strategy", "prompt_public"]
SITE += ["app_base_url", "show_workflow_steps", "use_icon_as_answer_icon", "created_at", "updated_at"]
WHO = ["from_source", "from_end_user_id", "from_account_id"]
MESSAGE = ["id", "conversation_id", "inputs", "query", "message", "message_tokens", "answer", "answer_tokens"]
MESSAGE += ["provider_response_latency", *WHO, "feedbacks", "workflow_run_id", "annotation"]
MESSAGE += ["annotation_hit_history", "created_at", "agent_thoughts", "message_files", "metadata", "status"]
MESSAGE += ["error", "parent_message_id"]
CONVERSATION = ["id", "status", *WHO]
STATS = ["user_feedback_stats", "admin_feedback_stats"]
PAGE = ["data", "has_more", "limit", "total", "page"]
DETAIL_CONFIG = ["opening_statement", "suggested_questions", "model", "user_input_form", "pre_prompt", "agent_mode"]
RESULT = ["result"]
# (method, path) -> the top-level fields of the 2xx JSON body, in the order the route emits them.
PLAIN: dict[tuple[str, str], list[str]] = {
    ("POST", "/console/api/apps"): APP_DETAIL,
    ("GET", APP): APP_DETAIL,
    ("POST", f"{APP}/copy"): APP_DETAIL,
    ("POST", f"{APP}/name"): APP_DETAIL,
    ("POST", f"{APP}/icon"): APP_DETAIL,
    ("POST", f"{APP}/site-enable"): APP_DETAIL,
    ("POST", f"{APP}/api-enable"): APP_DETAIL,
    ("POST", f"{APP}/model-config"): RESULT,
    ("POST", f"{APP}/site"): SITE,
    ("POST", f"{APP}/site/access-token-reset"): SITE,
    ("GET", f"{APP}/chat-messages"): ["limit", "has_more", "data"],
    ("GET", f"{APP}/messages/{{message_id}}"): MESSAGE,
    ("GET", f"{APP}/chat-messages/{{message_id}}/suggested-questions"): ["data"],
    ("GET", f"{APP}/chat-conversations/{{conversation_id}}"): [
        *CONVERSATION,
        *("created_at", "updated_at", "annotated", "introduction", "model_config", "message_count"),
        *STATS,
    ],
    ("GET", f"{APP}/completion-conversations/{{conversation_id}}"): [
        *CONVERSATION,
        *("created_at", "model_config", "message"),
    ],
    ("POST", f"{APP}/feedbacks"): RESULT,
    ("POST", f"{APP}/annotations"): ["id", "question", "answer", "hit_count", "created_at"],
    ("GET", f"{APP}/annotations/count"): ["count"],
    ("POST", f"{APP}/chat-messages/{{task_id}}/stop"): RESULT,
    ("POST", f"{APP}/completion-messages/{{task_id}}/stop"): RESULT,
}
# Pages: (method, path) -> the fields of one item of data.
PAGES: dict[tuple[str, str], list[str]] = {
    ("GET", "/console/api/apps"): APP_ITEM,
    ("GET", f"{APP}/chat-conversations"): [
        *CONVERSATION,
        *("from_end_user_session_id", "from_account_name", "name", "summary", "read_at", "created_at"),
        *("updated_at", "annotated", "model_config", "message_count", *STATS, "status_count"),
    ],
    ("GET", f"{APP}/completion-conversations"): [
        *CONVERSATION,
        *("from_end_user_session_id", "from_account_name", "read_at", "created_at", "updated_at", "annotation"),
        *("model_config", *STATS, "message"),
    ],
}
# Statistics: route -> the fields of one day.
STATISTICS: dict[str, list[str]] = {
    "daily-conversations": ["date", "conversation_count"],
    "daily-end-users": ["date", "terminal_count"],
    "token-costs": ["date", "token_count", "total_price", "currency"],
    "average-session-interactions": ["date", "interactions"],
    "user-satisfaction-rate": ["date", "rate"],
    "average-response-time": ["date", "latency"],
    "tokens-per-second": ["date", "tps"],
}
STREAMS = {("POST", f"{APP}/chat-messages"), ("POST", f"{APP}/completion-messages")}
NO_CONTENT = {
    ("DELETE", APP),
    ("DELETE", f"{APP}/chat-conversations/{{conversation_id}}"),
    ("DELETE", f"{APP}/completion-conversations/{{conversation_id}}"),
}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = GatewaySettings(data_dir=tmp_path_factory.mktemp("openapi-dify"))
    return create_app(settings).openapi()


def test_every_dify_route_is_checked_here() -> None:
    routes = {
        (method, route.path)
        for module in ROUTERS
        for route in module.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    statistics_routes = {("GET", f"{APP}/statistics/{name}") for name in STATISTICS}
    assert routes == set(PLAIN) | set(PAGES) | statistics_routes | STREAMS | NO_CONTENT


@pytest.mark.parametrize(("method", "path"), sorted(PLAIN))
def test_plain_responses_name_their_fields_in_order(document: dict[str, Any], method: str, path: str) -> None:
    assert fields(document, response_schema(document, method, path)) == PLAIN[(method, path)]


@pytest.mark.parametrize(("method", "path"), sorted(PAGES))
def test_pages_name_the_page_keys_and_the_item_fields(document: dict[str, Any], method: str, path: str) -> None:
    schema = response_schema(document, method, path)
    assert fields(document, schema) == PAGE
    assert fields(document, schema, "data") == PAGES[(method, path)]


@pytest.mark.parametrize("name", sorted(STATISTICS))
def test_statistics_name_the_fields_of_one_day(document: dict[str, Any], name: str) -> None:
    schema = response_schema(document, "GET", f"{APP}/statistics/{name}")
    assert fields(document, schema) == ["data"]
    assert fields(document, schema, "data") == STATISTICS[name]


def test_nested_objects_are_described(document: dict[str, Any]) -> None:
    app = response_schema(document, "GET", APP)
    assert fields(document, app, "site") == SITE
    assert walk(document, app, "model_config").get("additionalProperties") is True
    item = response_schema(document, "GET", "/console/api/apps")
    assert fields(document, item, "data", "model_config") == ["model", "pre_prompt"]
    page = response_schema(document, "GET", f"{APP}/chat-messages")
    assert fields(document, page, "data") == MESSAGE
    assert fields(document, page, "data", "metadata") == ["usage", "retriever_resources"]
    assert "time_to_first_token" in fields(document, page, "data", "metadata", "usage")
    assert "score" in fields(document, page, "data", "metadata", "retriever_resources")
    completion = response_schema(document, "GET", f"{APP}/completion-conversations/{{conversation_id}}")
    assert fields(document, completion, "model_config") == DETAIL_CONFIG
    assert fields(document, completion, "message") == MESSAGE


@pytest.mark.parametrize(("method", "path"), sorted(STREAMS))
def test_message_routes_document_the_stream_and_the_blocking_answer(
    document: dict[str, Any], method: str, path: str
) -> None:
    content = document["paths"][path][method.lower()]["responses"]["200"]["content"]
    assert "text/event-stream" in content
    blocking = response_schema(document, method, path)
    expected = ["event", "task_id", "id", "message_id", "conversation_id", "mode", "answer", "metadata", "created_at"]
    assert fields(document, blocking) == [*expected, "agent_thoughts"]  # agent apps only: not required
    assert "agent_thoughts" not in document["components"]["schemas"]["DifyBlockingMessage"].get("required", [])


@pytest.mark.parametrize(("method", "path"), sorted(NO_CONTENT))
def test_deletes_answer_204_without_a_body(document: dict[str, Any], method: str, path: str) -> None:
    responses = document["paths"][path][method.lower()]["responses"]
    assert "content" not in responses["204"]
