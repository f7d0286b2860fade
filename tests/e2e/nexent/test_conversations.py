"""Nexent /api/conversation routes through the gateway, sharing conversations with the Dify console."""

from __future__ import annotations

import time
from typing import Any

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.chat.helpers import bearer, create_app, new_tenant
from tests.e2e.conftest import MeshClient
from tests.e2e.dify.test_conversations import send

ROOT = "/api/conversation"


def ok(reply: Any) -> Any:
    """The data of a `{"code": 0, "message": "success", "data"}` answer."""
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert set(body) == {"code", "message", "data"} and (body["code"], body["message"]) == (0, "success"), body
    return body["data"]


def test_create_list_rename_get_and_delete(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "nexent-conv")
    before = int(time.time() * 1000)
    trip = ok(mesh.http.put(f"{ROOT}/create", json={"title": "Trip"}, headers=bearer(token)))
    assert set(trip) == {"conversation_id", "conversation_title", "create_time", "update_time"}
    assert isinstance(trip["conversation_id"], int) and trip["conversation_title"] == "Trip"
    assert before - 1000 <= trip["create_time"] <= int(time.time() * 1000) + 1000
    untitled = ok(mesh.http.put(f"{ROOT}/create", json={}, headers=bearer(token)))
    assert untitled["conversation_title"] == "新对话"
    app_id = create_app(mesh, token)
    send(mesh, token, app_id, "a Dify chat", "not listed in Nexent", scripted)

    listed = ok(mesh.http.get(f"{ROOT}/list", headers=bearer(token)))
    assert [c["conversation_id"] for c in listed] == [untitled["conversation_id"], trip["conversation_id"]]
    assert listed[1] == trip

    renamed = mesh.http.post(
        f"{ROOT}/rename", json={"conversation_id": trip["conversation_id"], "name": "Kyoto trip"}, headers=bearer(token)
    )
    assert ok(renamed) is True
    titles = {
        c["conversation_id"]: c["conversation_title"] for c in ok(mesh.http.get(f"{ROOT}/list", headers=bearer(token)))
    }
    assert titles[trip["conversation_id"]] == "Kyoto trip"

    history = ok(mesh.http.get(f"{ROOT}/{trip['conversation_id']}", headers=bearer(token)))
    assert history == {"conversation_id": trip["conversation_id"], "create_time": trip["create_time"], "message": []}
    assert ok(mesh.http.delete(f"{ROOT}/{untitled['conversation_id']}", headers=bearer(token))) is True
    gone = mesh.http.get(f"{ROOT}/{untitled['conversation_id']}", headers=bearer(token))
    assert gone.status_code == 404 and set(gone.json()) == {"detail"}
    remaining = ok(mesh.http.get(f"{ROOT}/list", headers=bearer(token)))
    assert [c["conversation_id"] for c in remaining] == [trip["conversation_id"]]


def test_a_dify_conversation_is_readable_rateable_and_titled_here(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "nexent-shared")
    app_id = create_app(mesh, token)
    run = send(mesh, token, app_id, "Plan a weekend in Kyoto", "Visit Fushimi Inari.", scripted)
    conversation, message = run["conversation_id"], run["message_id"]

    history = ok(mesh.http.get(f"{ROOT}/{conversation}", headers=bearer(token)))
    assert isinstance(history["conversation_id"], int)
    user, assistant = history["message"]
    assert (user["role"], user["message"], user["message_id"]) == ("user", "Plan a weekend in Kyoto", message)
    assert assistant["role"] == "assistant" and assistant["message_id"] == message
    assert assistant["message"] == [{"type": "final_answer", "content": "Visit Fushimi Inari."}]
    assert (assistant["opinion_flag"], assistant["picture"], assistant["search"]) == (None, [], [])

    liked = mesh.http.post(
        f"{ROOT}/message/update_opinion", json={"message_id": message, "opinion": "Y"}, headers=bearer(token)
    )
    assert ok(liked) is True
    by_number = ok(mesh.http.get(f"{ROOT}/{history['conversation_id']}", headers=bearer(token)))
    assert by_number["message"][1]["opinion_flag"] == "Y"
    dify = mesh.http.get(f"/console/api/apps/{app_id}/messages/{message}", headers=bearer(token)).json()
    assert [(f["rating"], f["from_source"]) for f in dify["feedbacks"]] == [("like", "user")]
    (item,) = mesh.http.get(f"/console/api/apps/{app_id}/chat-conversations", headers=bearer(token)).json()["data"]
    assert item["user_feedback_stats"] == {"like": 1, "dislike": 0}
    cleared = mesh.http.post(
        f"{ROOT}/message/update_opinion", json={"message_id": message, "opinion": None}, headers=bearer(token)
    )
    assert ok(cleared) is True
    assert ok(mesh.http.get(f"{ROOT}/{conversation}", headers=bearer(token)))["message"][1]["opinion_flag"] is None

    sources = mesh.http.post(
        f"{ROOT}/sources",
        json={"conversation_id": history["conversation_id"], "message_id": message},
        headers=bearer(token),
    )
    assert ok(sources) == {"searches": [], "images": []}

    scripted.push(Script(chunks=['"Kyoto Weekend"']))
    body = {
        "conversation_id": history["conversation_id"],
        "history": [
            {"role": "user", "content": "Plan a weekend in Kyoto"},
            {"role": "assistant", "content": "Visit Fushimi Inari."},
        ],
    }
    title = ok(mesh.http.post(f"{ROOT}/generate_title", json=body, headers=bearer(token)))
    assert title == "Kyoto Weekend"
    sent = scripted.chat_requests()[-1].body["messages"]
    assert "Human: Plan a weekend in Kyoto\nAssistant: Visit Fushimi Inari." in sent[-1]["content"]
    (renamed,) = mesh.http.get(f"/console/api/apps/{app_id}/chat-conversations", headers=bearer(token)).json()["data"]
    assert renamed["name"] == "Kyoto Weekend"


def test_another_tenant_and_bad_input(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    alice = new_tenant(mesh, "nexent-alice")
    mallory = new_tenant(mesh, "nexent-mallory")
    mine = ok(mesh.http.put(f"{ROOT}/create", json={"title": "Private"}, headers=bearer(alice)))
    number = mine["conversation_id"]
    app_id = create_app(mesh, alice)
    run = send(mesh, alice, app_id, "secret", "classified", scripted)
    assert ok(mesh.http.get(f"{ROOT}/list", headers=bearer(mallory))) == []
    for method, url, body in (
        ("GET", f"{ROOT}/{number}", None),
        ("GET", f"{ROOT}/{run['conversation_id']}", None),
        ("DELETE", f"{ROOT}/{number}", None),
        ("POST", f"{ROOT}/rename", {"conversation_id": number, "name": "mine"}),
        ("POST", f"{ROOT}/message/update_opinion", {"message_id": run["message_id"], "opinion": "N"}),
        ("POST", f"{ROOT}/sources", {"message_id": run["message_id"]}),
        ("POST", f"{ROOT}/generate_title", {"conversation_id": number, "history": [{"role": "user", "content": "x"}]}),
    ):
        reply = mesh.http.request(method, url, json=body, headers=bearer(mallory))
        assert reply.status_code == 404 and set(reply.json()) == {"detail"}, (url, reply.text)
    assert ok(mesh.http.get(f"{ROOT}/{number}", headers=bearer(alice)))["conversation_id"] == number

    for method, url, body, field in (
        ("POST", f"{ROOT}/message/update_opinion", {"message_id": run["message_id"], "opinion": "maybe"}, "opinion"),
        ("POST", f"{ROOT}/message/update_opinion", {"message_id": "42", "opinion": "Y"}, "message_id"),
        ("POST", f"{ROOT}/rename", {"conversation_id": number}, "name"),
        ("POST", f"{ROOT}/rename", {"conversation_id": "abc", "name": "x"}, "conversation_id"),
        ("POST", f"{ROOT}/rename", {"conversation_id": number, "name": "  "}, "name"),
        ("GET", f"{ROOT}/not-an-id", None, "conversation_id"),
        ("POST", f"{ROOT}/sources", {"conversation_id": number, "type": "video"}, "type"),
        ("POST", f"{ROOT}/generate_title", {"conversation_id": number, "history": []}, "history"),
    ):
        reply = mesh.http.request(method, url, json=body, headers=bearer(alice))
        assert reply.status_code == 400, (url, reply.text)
        assert field in reply.json()["detail"], (url, reply.json())
