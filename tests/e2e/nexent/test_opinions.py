"""Nexent update_opinion: the opinion set is the opinion read back, on every message id the history hands out."""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.chat.helpers import bearer, sse_events
from tests.e2e.conftest import MeshClient
from tests.e2e.nexent.test_conversations import ok

ROOT = "/api/conversation"


def run_agent(
    mesh: MeshClient, token: str, conversation_id: int, query: str, answer: str, scripted: ScriptedUpstream
) -> None:
    scripted.push(Script(chunks=[answer]))
    body = {"query": query, "conversation_id": conversation_id}
    with mesh.http.stream("POST", "/api/agent/run", json=body, headers=bearer(token)) as response:
        assert response.status_code == 200
        frames = [e for e in sse_events(response) if isinstance(e, dict)]
    assert frames[-1]["type"] == "token_count", frames
    assert orjson.loads(frames[-1]["content"])["message_id"]


def history(mesh: MeshClient, token: str, ref: int | str) -> list[dict[str, Any]]:
    return list(ok(mesh.http.get(f"{ROOT}/{ref}", headers=bearer(token)))["message"])


def opinion(mesh: MeshClient, token: str, message_id: Any, value: str | None) -> None:
    body = {"message_id": message_id, "opinion": value}
    assert ok(mesh.http.post(f"{ROOT}/message/update_opinion", json=body, headers=bearer(token))) is True


def company_key(mesh: MeshClient, user_id: object) -> str:
    """A `cpn-` key issued to user_id: it acts for the whole company."""
    made = mesh.http.post(
        "/admin/v1/api-keys", json={"user_id": user_id, "kind": "company"}, headers=bearer(mesh.admin_token())
    )
    assert made.status_code == 201, made.text
    return str(made.json()["key"])


def test_opinion_set_is_opinion_read_back(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    suffix = uuid.uuid4().hex[:8]
    company = f"Opinions Co {suffix}"
    mesh.create_user(f"op-alice-{suffix}@chat.test", "chat-pass-123", company)
    bob = mesh.create_user(f"op-bob-{suffix}@chat.test", "chat-pass-123", company)
    alice = mesh.login(f"op-alice-{suffix}@chat.test", "chat-pass-123")
    enterprise = company_key(mesh, bob["user_id"])
    created = ok(mesh.http.put(f"{ROOT}/create", json={"title": "Opinions"}, headers=bearer(alice)))
    number = created["conversation_id"]
    run_agent(mesh, alice, number, "first question", "first answer", scripted)
    run_agent(mesh, alice, number, "second question", "second answer", scripted)
    entries = history(mesh, alice, number)
    assert [e["role"] for e in entries] == ["user", "assistant", "user", "assistant"]
    assert all(e["opinion_flag"] is None for e in entries)
    # The client rates the answer it was shown, by the message_id the history gave it.
    target = entries[3]["message_id"]
    steps = [(alice, "Y"), (alice, "N"), (alice, None), (enterprise, "Y"), (alice, "N"), (enterprise, None)]
    for setter, value in steps:
        opinion(mesh, setter, target, value)
        for reader in (alice, enterprise):
            after = history(mesh, reader, number)
            shown = [e["opinion_flag"] for e in after]
            assert shown == [None, None, None, value], (setter == alice, value, reader == alice, shown)
