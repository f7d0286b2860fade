"""Dify chat-messages and completion-messages through the gateway, streaming and blocking, with stop."""

from __future__ import annotations

import threading
import time
import uuid

import httpx

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.chat.helpers import bearer, create_app, new_tenant, sse_events
from tests.e2e.conftest import MeshClient


def test_streaming_chat_sends_dify_events_and_keeps_the_conversation(
    mesh: MeshClient, scripted: ScriptedUpstream
) -> None:
    token = new_tenant(mesh, "dify-stream")
    app_id = create_app(mesh, token, pre_prompt="You are {{persona}}.")
    scripted.push(Script(chunks=["Bon", "jour", "!"], prompt_tokens=9))
    url = f"/console/api/apps/{app_id}/chat-messages"
    body = {"query": "Say hello", "inputs": {"persona": "a French tutor"}, "response_mode": "streaming"}
    with mesh.http.stream("POST", url, json=body, headers=bearer(token)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        events = [e for e in sse_events(response) if e != "ping"]
    messages = [e for e in events if isinstance(e, dict) and e["event"] == "message"]
    assert "".join(m["answer"] for m in messages) == "Bonjour!"
    first = messages[0]
    assert set(first) >= {"event", "task_id", "message_id", "conversation_id", "answer", "created_at"}
    uuid.UUID(first["conversation_id"])
    end = events[-1]
    assert isinstance(end, dict) and end["event"] == "message_end"
    assert end["metadata"]["usage"]["prompt_tokens"] == 9
    assert end["metadata"]["usage"]["completion_tokens"] == 3
    assert end["metadata"]["retriever_resources"] == []
    sent = scripted.chat_requests()[-1].body["messages"]
    assert sent[0] == {"role": "system", "content": "You are a French tutor."}

    scripted.push(Script(chunks=["Second"]))
    follow = mesh.http.post(
        url,
        json={"query": "Again", "response_mode": "blocking", "conversation_id": first["conversation_id"]},
        headers=bearer(token),
    )
    assert follow.status_code == 200
    blocking = follow.json()
    assert blocking["event"] == "message" and blocking["answer"] == "Second"
    assert blocking["conversation_id"] == first["conversation_id"]
    assert blocking["metadata"]["usage"]["total_tokens"] > 0
    history = scripted.chat_requests()[-1].body["messages"]
    assert {"role": "assistant", "content": "Bonjour!"} in history


def test_completion_messages_render_inputs(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "dify-completion")
    app_id = create_app(mesh, token, mode="completion", pre_prompt="Translate: {{query}}")
    scripted.push(Script(chunks=["Hallo"]))
    reply = mesh.http.post(
        f"/console/api/apps/{app_id}/completion-messages",
        json={"inputs": {"query": "Hello"}, "response_mode": "blocking"},
        headers=bearer(token),
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["answer"] == "Hallo"
    assert scripted.chat_requests()[-1].body["messages"][-1]["content"].startswith("Translate: Hello")
    wrong = mesh.http.post(
        f"/console/api/apps/{app_id}/chat-messages",
        json={"query": "x", "response_mode": "blocking"},
        headers=bearer(token),
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "not_chat_app"


def test_stop_ends_the_stream_within_a_second(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "dify-stop")
    app_id = create_app(mesh, token)
    scripted.push(Script(chunks=["word "] * 400, delay_s=0.05))
    url = f"/console/api/apps/{app_id}/chat-messages"
    seen: list[dict] = []
    stopped_at: list[float] = []
    with mesh.http.stream(
        "POST", url, json={"query": "go on", "response_mode": "streaming"}, headers=bearer(token)
    ) as r:
        for event in sse_events_iter(r):
            seen.append(event)
            if len(seen) == 3:
                task_id = event["task_id"]
                stop = httpx.post(f"{mesh.mesh.base_url}{url}/{task_id}/stop", headers=bearer(token), timeout=10)
                assert stop.status_code == 200 and stop.json() == {"result": "success"}
                stopped_at.append(time.monotonic())
    assert time.monotonic() - stopped_at[0] < 1.5
    assert seen[-1]["event"] == "message_end"
    answered = "".join(e.get("answer", "") for e in seen)
    assert 0 < len(answered) < len("word ") * 400
    other = new_tenant(mesh, "dify-stop-intruder")
    foreign = mesh.http.post(f"{url}/{seen[0]['task_id']}/stop", headers=bearer(other))
    assert foreign.status_code == 404


def sse_events_iter(response: httpx.Response):  # type: ignore[no-untyped-def]
    import orjson

    for line in response.iter_lines():
        if line.startswith("data: "):
            yield orjson.loads(line[6:])


def test_client_disconnect_cancels_the_upstream(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "dify-disconnect")
    app_id = create_app(mesh, token)
    scripted.push(Script(chunks=["x"] * 400, delay_s=0.05))
    url = f"{mesh.mesh.base_url}/console/api/apps/{app_id}/chat-messages"
    with httpx.stream("POST", url, json={"query": "hi"}, headers=bearer(token), timeout=30) as response:
        for index, _ in enumerate(response.iter_lines()):
            if index > 4:
                break
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not scripted.chat_requests()[-1].cancelled:
        time.sleep(0.1)
    record = scripted.chat_requests()[-1]
    assert record.cancelled and not record.finished


def test_upstream_errors_before_and_after_the_first_token(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "dify-errors")
    app_id = create_app(mesh, token)
    url = f"/console/api/apps/{app_id}/chat-messages"
    scripted.push(Script(status=429, error_message="slow down please"))
    before = mesh.http.post(url, json={"query": "x"}, headers=bearer(token))
    assert before.status_code == 503
    assert before.json()["code"] == "upstream_rate_limited" and "slow down please" in before.json()["message"]
    scripted.push(Script(chunks=["one", "two", "three"], fail_after=1))
    with mesh.http.stream("POST", url, json={"query": "x"}, headers=bearer(token)) as response:
        events = [e for e in sse_events(response) if e != "ping"]
    assert [e["event"] for e in events if isinstance(e, dict)] == ["message", "error"]
    assert events[-1]["code"] == "upstream_stream_broken"  # type: ignore[index]


def test_foreign_and_malformed_app_ids(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    owner = new_tenant(mesh, "dify-owner")
    app_id = create_app(mesh, owner)
    intruder = new_tenant(mesh, "dify-intruder")
    foreign = mesh.http.post(f"/console/api/apps/{app_id}/chat-messages", json={"query": "x"}, headers=bearer(intruder))
    assert foreign.status_code == 404 and foreign.json()["code"] == "app_not_found"
    malformed = mesh.http.post("/console/api/apps/not-a-uuid/chat-messages", json={"query": "x"}, headers=bearer(owner))
    assert malformed.status_code == 400 and malformed.json()["code"] == "invalid_param"
    empty = mesh.http.post(f"/console/api/apps/{app_id}/chat-messages", json={"query": "  "}, headers=bearer(owner))
    assert empty.status_code == 400 and empty.json()["params"] == "query"
    assert not threading.current_thread().daemon
