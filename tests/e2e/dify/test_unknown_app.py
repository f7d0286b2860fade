"""Every Dify route under /apps/{app_id} answers Dify's 404 `app_not_found` for a missing or foreign app."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.chat.helpers import bearer, create_app, new_tenant
from tests.e2e.conftest import MeshClient
from tests.e2e.dify.test_conversations import send
from tests.e2e.dify.test_conversations_insights import STATISTICS

MODEL = {"provider": "openai_api_compatible", "name": "mesh-e2e-model", "mode": "chat", "completion_params": {}}


def app_routes(conversation: str, message: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(method, path under /apps/{app_id}, body) for every chat-owned Dify route that takes an app id."""
    chat = {"query": "hello?", "response_mode": "blocking"}
    routes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/chat-messages", chat),
        ("POST", "/chat-messages", {**chat, "response_mode": "streaming"}),
        # The console's debug run sends the model config with the message.
        ("POST", "/chat-messages", {**chat, "model_config": {"pre_prompt": "", "model": MODEL}}),
        ("POST", "/chat-messages", {**chat, "response_mode": "streaming", "model_config": {"model": MODEL}}),
        ("POST", "/completion-messages", {"inputs": {"query": "x"}, "response_mode": "blocking"}),
        ("POST", "/completion-messages", {"inputs": {"query": "x"}, "response_mode": "streaming"}),
        ("POST", f"/chat-messages/{uuid.uuid4()}/stop", None),
        ("POST", f"/completion-messages/{uuid.uuid4()}/stop", None),
        ("GET", "/chat-conversations", None),
        ("GET", "/completion-conversations", None),
        ("GET", f"/chat-conversations/{conversation}", None),
        ("GET", f"/completion-conversations/{conversation}", None),
        ("DELETE", f"/chat-conversations/{conversation}", None),
        ("DELETE", f"/completion-conversations/{conversation}", None),
        ("GET", f"/chat-messages?conversation_id={conversation}", None),
        ("GET", f"/messages/{message}", None),
        ("GET", f"/chat-messages/{message}/suggested-questions", None),
        ("POST", "/feedbacks", {"message_id": message, "rating": "like"}),
        ("POST", "/annotations", {"message_id": message, "question": "q", "answer": "a"}),
        ("POST", "/annotations", {"question": "q", "answer": "a"}),
        ("GET", "/annotations/count", None),
    ]
    routes += [("GET", f"/statistics/{name}", None) for name in STATISTICS]
    return routes


@pytest.mark.parametrize("whose", ["missing", "another_company"])
def test_unknown_app_is_app_not_found_on_every_route(mesh: MeshClient, scripted: ScriptedUpstream, whose: str) -> None:
    owner = new_tenant(mesh, f"scope-{whose}")
    own_app = create_app(mesh, owner)
    run = send(mesh, owner, own_app, "mine", "only mine", scripted)
    caller = owner
    app_id = str(uuid.uuid4())
    if whose == "another_company":
        caller, app_id = new_tenant(mesh, "scope-outsider"), own_app
    calls = len(scripted.chat_requests())
    bodies, wrong = set(), []
    for method, path, body in app_routes(run["conversation_id"], run["message_id"]):
        scripted.push(Script(chunks=["should never be sent"]))
        url = f"/console/api/apps/{app_id}{path}"
        reply = mesh.http.request(method, url, json=body, headers=bearer(caller))
        if reply.status_code != 404 or not reply.headers["content-type"].startswith("application/json"):
            wrong.append((method, path, body, reply.status_code, reply.text[:120]))
            continue
        payload = reply.json()
        if (payload["code"], payload["status"]) != ("app_not_found", 404):
            wrong.append((method, path, body, reply.status_code, payload))
        bodies.add(reply.content)
    assert not wrong, "\n".join(map(str, wrong))
    assert len(bodies) == 1, "a missing app and a foreign app answer identically on every route"
    assert len(scripted.chat_requests()) == calls, "no upstream call for an app the caller cannot see"
    # The owner still sees everything as it was.
    detail = mesh.http.get(f"/console/api/apps/{own_app}/messages/{run['message_id']}", headers=bearer(owner))
    assert detail.status_code == 200 and detail.json()["answer"] == "only mine"
