"""Nexent agent runs stream `{"type", "content"}` frames through the gateway."""

from __future__ import annotations

import orjson

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.chat.helpers import bearer, new_tenant, sse_events
from tests.e2e.conftest import MeshClient

NEXENT_TYPES = {
    "model_output_thinking",
    "model_output_code",
    "step_count",
    "parse",
    "execution_logs",
    "agent_new_run",
    "final_answer",
    "search_content",
    "token_count",
    "error",
}


def test_agent_run_streams_nexent_process_frames(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "nexent-agent")
    scripted.push(Script(chunks=["The ", "answer"], reasoning=["hmm"], prompt_tokens=5))
    body = {
        "query": "What is it?",
        "history": [{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "reply"}],
        "minio_files": [],
    }
    with mesh.http.stream("POST", "/api/agent/run", json=body, headers=bearer(token)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        frames = [e for e in sse_events(response) if isinstance(e, dict)]
    assert all(set(f) == {"type", "content"} and f["type"] in NEXENT_TYPES for f in frames)
    kinds = [f["type"] for f in frames]
    assert kinds[:2] == ["agent_new_run", "step_count"]
    assert "".join(f["content"] for f in frames if f["type"] == "final_answer") == "The answer"
    assert "".join(f["content"] for f in frames if f["type"] == "model_output_thinking") == "hmm"
    counts = orjson.loads(frames[-1]["content"])
    assert frames[-1]["type"] == "token_count" and counts["prompt_tokens"] == 5
    sent = scripted.chat_requests()[-1].body["messages"]
    assert sent[-3:] == [
        {"role": "user", "content": "earlier"},
        {"role": "assistant", "content": "reply"},
        {"role": "user", "content": "What is it?"},
    ]


def test_agent_run_errors(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    token = new_tenant(mesh, "nexent-agent-errors")
    empty = mesh.http.post("/api/agent/run", json={"query": " "}, headers=bearer(token))
    assert empty.status_code == 400 and "query" in empty.json()["detail"]
    wrong = mesh.http.post("/api/agent/run", json={"query": "x", "history": "nope"}, headers=bearer(token))
    assert wrong.status_code == 400 and "history" in wrong.json()["detail"]
    unauthenticated = mesh.http.post("/api/agent/run", json={"query": "x"})
    assert unauthenticated.status_code == 401 and "detail" in unauthenticated.json()
    scripted.push(Script(chunks=["a", "b"], fail_after=1))
    with mesh.http.stream("POST", "/api/agent/run", json={"query": "x"}, headers=bearer(token)) as response:
        frames = [e for e in sse_events(response) if isinstance(e, dict)]
    assert frames[-1]["type"] == "error"
    reload = mesh.http.post("/api/agent/reload_config", headers=bearer(token))
    assert reload.status_code == 200 and reload.json()["success"] is True


def test_agent_run_continues_a_nexent_conversation_by_its_numeric_id(
    mesh: MeshClient, scripted: ScriptedUpstream
) -> None:
    token = new_tenant(mesh, "nexent-agent-conv")
    created = mesh.http.put("/api/conversation/create", json={"title": "Agent chat"}, headers=bearer(token))
    assert created.status_code == 200, created.text
    conversation_id = created.json()["data"]["conversation_id"]
    assert isinstance(conversation_id, int)
    for answer in ("first", "second"):
        scripted.push(Script(chunks=[answer]))
        body = {"query": f"ask {answer}", "conversation_id": conversation_id}
        with mesh.http.stream("POST", "/api/agent/run", json=body, headers=bearer(token)) as response:
            assert response.status_code == 200
            frames = [e for e in sse_events(response) if isinstance(e, dict)]
        assert "".join(f["content"] for f in frames if f["type"] == "final_answer") == answer
    assert {"role": "assistant", "content": "first"} in scripted.chat_requests()[-1].body["messages"]
    listed = mesh.http.get("/api/conversation/list", headers=bearer(token)).json()["data"]
    assert [c["conversation_id"] for c in listed] == [conversation_id]
    stranger = new_tenant(mesh, "nexent-agent-stranger")
    hijack = {"query": "x", "conversation_id": conversation_id}
    with mesh.http.stream("POST", "/api/agent/run", json=hijack, headers=bearer(stranger)) as response:
        assert response.status_code == 404
