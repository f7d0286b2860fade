"""Dify console conversation logs through the gateway: lists, detail, message pages, feedback, delete, tenancy."""

from __future__ import annotations

from typing import Any

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.chat.helpers import bearer, create_app, new_tenant
from tests.e2e.conftest import MeshClient

CHAT_ITEM_KEYS = {
    "id",
    "status",
    "from_source",
    "from_end_user_id",
    "from_end_user_session_id",
    "from_account_id",
    "from_account_name",
    "name",
    "summary",
    "read_at",
    "created_at",
    "updated_at",
    "annotated",
    "model_config",
    "message_count",
    "user_feedback_stats",
    "admin_feedback_stats",
    "status_count",
}
MESSAGE_KEYS = {
    "id",
    "conversation_id",
    "inputs",
    "query",
    "message",
    "message_tokens",
    "answer",
    "answer_tokens",
    "provider_response_latency",
    "from_source",
    "from_end_user_id",
    "from_account_id",
    "feedbacks",
    "workflow_run_id",
    "annotation",
    "annotation_hit_history",
    "created_at",
    "agent_thoughts",
    "message_files",
    "metadata",
    "status",
    "error",
    "parent_message_id",
}


def send(
    mesh: MeshClient,
    token: str,
    app_id: str,
    query: str,
    answer: str,
    scripted: ScriptedUpstream,
    *,
    completion: bool = False,
    **body: Any,
) -> dict[str, Any]:
    """One blocking chat (or completion) message answered by the scripted upstream; returns Dify's reply."""
    scripted.push(Script(chunks=[answer], prompt_tokens=7))
    kind = "completion-messages" if completion else "chat-messages"
    reply = mesh.http.post(
        f"/console/api/apps/{app_id}/{kind}",
        json={"query": query, "response_mode": "blocking", **body},
        headers=bearer(token),
    )
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_chat_conversations_page_newest_first_with_messages_and_feedback(
    mesh: MeshClient, scripted: ScriptedUpstream
) -> None:
    token = new_tenant(mesh, "conv-list")
    app_id = create_app(mesh, token, opening_statement="Welcome!")
    base = f"/console/api/apps/{app_id}"
    a1 = send(mesh, token, app_id, "first question", "first answer", scripted)
    b1 = send(mesh, token, app_id, "other topic", "other answer", scripted)
    a2 = send(mesh, token, app_id, "second question", "second answer", scripted, conversation_id=a1["conversation_id"])
    a_id, b_id = a1["conversation_id"], b1["conversation_id"]

    first_page = mesh.http.get(f"{base}/chat-conversations", params={"page": 1, "limit": 1}, headers=bearer(token))
    assert first_page.status_code == 200, first_page.text
    body = first_page.json()
    assert {k: body[k] for k in ("page", "limit", "total", "has_more")} == {
        "page": 1,
        "limit": 1,
        "total": 2,
        "has_more": True,
    }
    (item,) = body["data"]
    assert set(item) == CHAT_ITEM_KEYS
    assert (item["id"], item["name"], item["summary"], item["message_count"]) == (
        a_id,
        "first question",
        "first question",
        2,
    )
    assert (item["status"], item["from_source"], item["from_end_user_id"], item["annotated"]) == (
        "normal",
        "console",
        None,
        False,
    )
    assert item["model_config"]["model"]["name"] == "mesh-e2e-model" and item["model_config"]["pre_prompt"] == ""
    assert item["user_feedback_stats"] == item["admin_feedback_stats"] == {"like": 0, "dislike": 0}
    second_page = mesh.http.get(f"{base}/chat-conversations", params={"page": 2, "limit": 1}, headers=bearer(token))
    assert [c["id"] for c in second_page.json()["data"]] == [b_id] and second_page.json()["has_more"] is False

    detail = mesh.http.get(f"{base}/chat-conversations/{a_id}", headers=bearer(token)).json()
    assert (detail["id"], detail["message_count"], detail["introduction"]) == (a_id, 2, "Welcome!")
    assert set(detail["model_config"]) == {
        "opening_statement",
        "suggested_questions",
        "model",
        "user_input_form",
        "pre_prompt",
        "agent_mode",
    }

    newest = mesh.http.get(
        f"{base}/chat-messages", params={"conversation_id": a_id, "limit": 1}, headers=bearer(token)
    ).json()
    assert (newest["limit"], newest["has_more"]) == (1, True)
    (message,) = newest["data"]
    assert set(message) == MESSAGE_KEYS
    assert (message["id"], message["query"], message["answer"], message["conversation_id"]) == (
        a2["message_id"],
        "second question",
        "second answer",
        a_id,
    )
    assert (message["message_tokens"], message["answer_tokens"], message["status"], message["error"]) == (
        7,
        1,
        "normal",
        None,
    )
    assert message["provider_response_latency"] > 0 and message["metadata"]["usage"]["prompt_tokens"] == 7
    older = mesh.http.get(
        f"{base}/chat-messages",
        params={"conversation_id": a_id, "first_id": a2["message_id"], "limit": 1},
        headers=bearer(token),
    ).json()
    assert [m["id"] for m in older["data"]] == [a1["message_id"]] and older["has_more"] is False
    both = mesh.http.get(f"{base}/chat-messages", params={"conversation_id": a_id}, headers=bearer(token)).json()
    assert [m["query"] for m in both["data"]] == ["first question", "second question"] and both["limit"] == 20

    liked = mesh.http.post(
        f"{base}/feedbacks", json={"message_id": a2["message_id"], "rating": "like"}, headers=bearer(token)
    )
    assert liked.status_code == 200 and liked.json() == {"result": "success"}
    shown = mesh.http.get(f"{base}/messages/{a2['message_id']}", headers=bearer(token)).json()
    assert [(f["rating"], f["from_source"]) for f in shown["feedbacks"]] == [("like", "admin")]
    listed = mesh.http.get(f"{base}/chat-conversations", headers=bearer(token)).json()["data"]
    assert {c["id"]: c["admin_feedback_stats"] for c in listed} == {
        a_id: {"like": 1, "dislike": 0},
        b_id: {"like": 0, "dislike": 0},
    }
    mesh.http.post(f"{base}/feedbacks", json={"message_id": a2["message_id"], "rating": None}, headers=bearer(token))
    cleared = mesh.http.get(f"{base}/messages/{a2['message_id']}", headers=bearer(token)).json()
    assert cleared["feedbacks"] == []

    gone = mesh.http.delete(f"{base}/chat-conversations/{b_id}", headers=bearer(token))
    assert gone.status_code == 204
    missing = mesh.http.get(f"{base}/chat-conversations/{b_id}", headers=bearer(token))
    assert missing.status_code == 404 and missing.json()["code"] == "conversation_not_found"
    assert mesh.http.get(f"{base}/messages/{b1['message_id']}", headers=bearer(token)).status_code == 404
    assert mesh.http.get(f"{base}/chat-conversations", headers=bearer(token)).json()["total"] == 1


def test_completion_conversations_show_their_exchange(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "conv-completion")
    app_id = create_app(mesh, token, mode="completion", pre_prompt="Translate: {{query}}")
    base = f"/console/api/apps/{app_id}"
    run = send(mesh, token, app_id, "", "Bonjour", scripted, completion=True, inputs={"query": "Hello"})
    listing = mesh.http.get(f"{base}/completion-conversations", params={"limit": 10}, headers=bearer(token)).json()
    assert (listing["total"], listing["page"], listing["limit"], listing["has_more"]) == (1, 1, 10, False)
    (item,) = listing["data"]
    assert item["id"] == run["conversation_id"] and item["annotation"] is None
    assert item["message"] == {"inputs": {"query": "Hello"}, "query": "", "message": "", "answer": "Bonjour"}
    assert "message_count" not in item and item["admin_feedback_stats"] == {"like": 0, "dislike": 0}
    detail = mesh.http.get(f"{base}/completion-conversations/{run['conversation_id']}", headers=bearer(token)).json()
    assert detail["message"]["id"] == run["message_id"] and detail["message"]["answer"] == "Bonjour"
    assert detail["message"]["inputs"] == {"query": "Hello"} and detail["model_config"]["pre_prompt"] == (
        "Translate: {{query}}"
    )
    # A completion run is not a chat conversation.
    wrong_kind = mesh.http.get(f"{base}/chat-conversations/{run['conversation_id']}", headers=bearer(token))
    assert wrong_kind.status_code == 404
    assert mesh.http.get(f"{base}/chat-conversations", headers=bearer(token)).json()["total"] == 0
    removed = mesh.http.delete(f"{base}/completion-conversations/{run['conversation_id']}", headers=bearer(token))
    assert removed.status_code == 204
    assert mesh.http.get(f"{base}/completion-conversations", headers=bearer(token)).json()["data"] == []


def test_another_tenant_gets_not_found_everywhere(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    alice = new_tenant(mesh, "conv-alice")
    mallory = new_tenant(mesh, "conv-mallory")
    app_id = create_app(mesh, alice)
    run = send(mesh, alice, app_id, "secret", "classified", scripted)
    base = f"/console/api/apps/{app_id}"
    conversation, message = run["conversation_id"], run["message_id"]
    attempts = [
        ("GET", f"{base}/chat-conversations", None),
        ("GET", f"{base}/chat-conversations/{conversation}", None),
        ("DELETE", f"{base}/chat-conversations/{conversation}", None),
        ("GET", f"{base}/chat-messages?conversation_id={conversation}", None),
        ("GET", f"{base}/messages/{message}", None),
        ("POST", f"{base}/feedbacks", {"message_id": message, "rating": "dislike"}),
    ]
    for method, url, body in attempts:
        reply = mesh.http.request(method, url, json=body, headers=bearer(mallory))
        assert reply.status_code == 404, (method, url, reply.text)
        assert set(reply.json()) >= {"code", "message", "status"} and reply.json()["status"] == 404
    # Mallory's own app cannot reach Alice's rows either.
    own = create_app(mesh, mallory)
    sideways = mesh.http.get(f"/console/api/apps/{own}/messages/{message}", headers=bearer(mallory))
    assert sideways.status_code == 404 and sideways.json()["code"] == "message_not_found"
    still = mesh.http.get(f"{base}/messages/{message}", headers=bearer(alice)).json()
    assert still["answer"] == "classified" and still["feedbacks"] == []


def test_bad_input_names_the_field(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "conv-bad")
    app_id = create_app(mesh, token)
    run = send(mesh, token, app_id, "hi", "hello", scripted)
    base = f"/console/api/apps/{app_id}"
    cases = [
        ("GET", f"{base}/chat-conversations?limit=0", None, "limit"),
        ("GET", f"{base}/chat-conversations?limit=101", None, "limit"),
        ("GET", f"{base}/completion-conversations?page=0", None, "page"),
        ("GET", f"{base}/chat-conversations/not-a-uuid", None, "conversation_id"),
        ("GET", "/console/api/apps/nope/chat-conversations", None, "app_id"),
        ("GET", f"{base}/chat-messages", None, "conversation_id"),
        ("GET", f"{base}/chat-messages?conversation_id={run['conversation_id']}&first_id=x", None, "first_id"),
        ("GET", f"{base}/chat-messages?conversation_id={run['conversation_id']}&limit=500", None, "limit"),
        ("GET", f"{base}/messages/123", None, "message_id"),
        ("POST", f"{base}/feedbacks", {"message_id": run["message_id"], "rating": "love"}, "rating"),
        ("POST", f"{base}/feedbacks", {"rating": "like"}, "message_id"),
        ("POST", f"{base}/feedbacks", {"message_id": "abc", "rating": "like"}, "message_id"),
    ]
    for method, url, body, field in cases:
        reply = mesh.http.request(method, url, json=body, headers=bearer(token))
        assert reply.status_code == 400, (url, reply.text)
        payload = reply.json()
        assert (payload["code"], payload["status"], payload["params"]) == ("invalid_param", 400, field), (url, payload)
