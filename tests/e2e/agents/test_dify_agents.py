"""Dify agent-chat apps through the launcher: tool steps as agent_thought, knowledge cited, limits, stop, tenancy."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

from services.kit.testing.openai_upstream import Script, ScriptedUpstream, ToolCallScript
from tests.e2e.agents.conftest import McpFixture, Member, index_document, member, register_mcp
from tests.e2e.chat.helpers import sse_events
from tests.e2e.conftest import MeshClient
from tests.e2e.dify.apps_helpers import rows

SECRET = "The lighthouse keeper's cat is named Bartholomew Quince."


def agent_app(
    mesh: MeshClient, who: Member, *, tools: list[dict[str, Any]], max_iteration: int = 5, **extra: Any
) -> str:
    created = mesh.http.post(
        "/console/api/apps",
        json={"name": f"agent-{uuid.uuid4().hex[:6]}", "mode": "agent-chat", "icon": "🤖", "icon_background": "#FFF"},
        headers=who.headers,
    )
    assert created.status_code == 201, created.text
    app_id = str(created.json()["id"])
    config = {
        "pre_prompt": "You are a helpful agent.",
        "model": {
            "provider": "openai_api_compatible",
            "name": "mesh-e2e-model",
            "mode": "chat",
            "completion_params": {},
        },
        "agent_mode": {"enabled": True, "strategy": "function_call", "max_iteration": max_iteration, "tools": tools},
        **extra,
    }
    saved = mesh.http.post(f"/console/api/apps/{app_id}/model-config", json=config, headers=who.headers)
    assert saved.status_code == 200, saved.text
    return app_id


def ask(mesh: MeshClient, who: Member, app_id: str, query: str) -> list[dict[str, Any]]:
    with mesh.http.stream(
        "POST", f"/console/api/apps/{app_id}/chat-messages", json={"query": query}, headers=who.headers
    ) as response:
        assert response.status_code == 200, response.read()
        return [e for e in sse_events(response) if isinstance(e, dict)]


def tool_results(scripted: ScriptedUpstream, request: int) -> list[str]:
    return [m["content"] for m in scripted.chat_requests()[request].body["messages"] if m["role"] == "tool"]


def test_knowledge_tool_finds_the_document_and_the_answer_cites_it(
    agent_mesh: MeshClient, scripted: ScriptedUpstream
) -> None:
    alice = member(agent_mesh, "dify-agent")
    index_document(agent_mesh, alice, "lighthouse-kb", f"Harbour notes. {SECRET} The lamp is lit at dusk.", "notes.txt")
    app_id = agent_app(agent_mesh, alice, tools=[{"dataset": {"id": "lighthouse-kb", "enabled": True}}])
    scripted.push(
        Script(chunks=[], tool_calls=[ToolCallScript("knowledge_search", '{"query": "lighthouse keeper cat"}')]),
        Script(chunks=["From the notes: ", "{observation}"]),
    )
    events = ask(agent_mesh, alice, app_id, "What is the lighthouse keeper's cat called?")

    assert tool_results(scripted, 1) and "Bartholomew Quince" in tool_results(scripted, 1)[0]
    assert scripted.chat_requests()[0].body["tools"][0]["function"]["name"] == "knowledge_search"
    thoughts = [e for e in events if e["event"] == "agent_thought"]
    called = [t for t in thoughts if t["tool"] == "knowledge_search" and t["observation"]]
    assert called and "Bartholomew Quince" in orjson.loads(called[0]["observation"])["knowledge_search"]
    assert orjson.loads(called[0]["tool_input"]) == {"knowledge_search": {"query": "lighthouse keeper cat"}}
    assert {t["position"] for t in thoughts} == {1, 2} and all(t["created_at"] > 0 for t in thoughts)
    answer = "".join(e["answer"] for e in events if e["event"] == "agent_message")
    assert answer.startswith("From the notes: ") and "Bartholomew Quince" in answer
    assert not [e for e in events if e["event"] == "message"]
    end = events[-1]
    assert end["event"] == "message_end"
    sources = end["metadata"]["retriever_resources"]
    assert sources[0]["document_name"] == "notes.txt" and "Bartholomew Quince" in sources[0]["content"]
    assert end["metadata"]["usage"]["prompt_tokens"] == 22  # both steps: 11 + 11

    listed = agent_mesh.http.get(
        f"/console/api/apps/{app_id}/chat-messages",
        params={"conversation_id": end["conversation_id"]},
        headers=alice.headers,
    ).json()["data"]
    stored = listed[-1]
    assert stored["answer"] == answer
    assert [t["tool"] for t in stored["agent_thoughts"]] == ["knowledge_search", ""]
    assert "Bartholomew Quince" in stored["agent_thoughts"][0]["observation"]
    assert stored["metadata"]["retriever_resources"][0]["document_name"] == "notes.txt"


def test_another_company_cannot_search_the_index_even_by_its_name(
    agent_mesh: MeshClient, scripted: ScriptedUpstream
) -> None:
    alice, bob = member(agent_mesh, "dify-tenancy-a"), member(agent_mesh, "dify-tenancy-b")
    index_document(agent_mesh, alice, "alice-private-kb", SECRET, "private.txt")
    index_document(agent_mesh, bob, "bob-kb", "Bob's notes are about tides.", "tides.txt")
    # Bob's app names Alice's index (as if he knew it) and his own; the model also asks for it by name.
    app_id = agent_app(
        agent_mesh,
        bob,
        tools=[
            {"dataset": {"id": "alice-private-kb", "enabled": True}},
            {"dataset": {"id": "bob-kb", "enabled": True}},
        ],
    )
    scripted.push(
        Script(
            chunks=[],
            tool_calls=[
                ToolCallScript("knowledge_search", '{"query": "cat", "index_names": ["alice-private-kb"]}'),
                ToolCallScript("knowledge_search", '{"query": "cat", "index_names": ["some-other-kb"]}'),
            ],
        ),
        Script(chunks=["{observation}"]),
    )
    events = ask(agent_mesh, bob, app_id, "What is the cat called?")
    results = tool_results(scripted, 1)
    assert results[0] == "error: knowledge base alice-private-kb does not exist"
    assert results[1].startswith("error: knowledge base 'some-other-kb' is not available to this agent")
    assert "Bartholomew" not in str(scripted.chat_requests()[1].body) and "Bartholomew" not in str(events)
    assert events[-1]["metadata"]["retriever_resources"] == []


def test_max_iteration_reached(agent_mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    alice = member(agent_mesh, "dify-max-iter")
    index_document(agent_mesh, alice, "loop-kb", "Loops go round.", "loop.txt")
    app_id = agent_app(agent_mesh, alice, tools=[{"dataset": {"id": "loop-kb"}}], max_iteration=2)
    scripted.default = Script(chunks=[], tool_calls=[ToolCallScript("knowledge_search", '{"query": "loop"}')])
    events = ask(agent_mesh, alice, app_id, "Loop forever")
    requests = scripted.chat_requests()
    assert len(requests) == 2 and requests[-1].body["tool_choice"] == "none"
    assert len(tool_results(scripted, 1)) == 1
    answer = "".join(e["answer"] for e in events if e["event"] == "agent_message")
    assert "step limit (2)" in answer and events[-1]["event"] == "message_end"


def test_model_config_names_the_bad_tool_field(agent_mesh: MeshClient) -> None:
    alice = member(agent_mesh, "dify-agent-config")
    app_id = agent_app(agent_mesh, alice, tools=[])
    cases = [
        ({"provider_type": "builtin", "tool_name": "rm_rf"}, "agent_mode.tools[0].tool_name"),
        ({"provider_type": "builtin"}, "agent_mode.tools[0].tool_name"),
        ({"provider_type": "plugin", "tool_name": "x"}, "agent_mode.tools[0].provider_type"),
        ({"provider_type": "mcp", "tool_name": "forecast"}, "agent_mode.tools[0].provider_id"),
        ({"dataset": {"id": ""}}, "agent_mode.tools[0].dataset.id"),
        ("web_fetch", "agent_mode.tools[0]"),
    ]
    for tool, field in cases:
        config = {
            "model": {"provider": "openai_api_compatible", "name": "mesh-e2e-model", "mode": "chat"},
            "agent_mode": {"enabled": True, "tools": [tool]},
        }
        reply = agent_mesh.http.post(f"/console/api/apps/{app_id}/model-config", json=config, headers=alice.headers)
        assert reply.status_code == 400, (tool, reply.text)
        assert field in reply.text, (field, reply.text)


def _wait(check: Any, *, timeout_s: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _stored(mesh: MeshClient, conversation_id: str) -> dict[str, Any] | None:
    """The message row once it is no longer generating (the Dify shape shows a stopped answer as normal)."""
    found = rows(mesh, "chat", "SELECT status, answer, extra FROM messages WHERE conversation_id = ?", conversation_id)
    if not found or found[0][0] == "generating":
        return None
    return {"status": found[0][0], "answer": found[0][1], **orjson.loads(found[0][2])}


def test_stop_mid_tool_and_disconnect_keep_the_steps(
    agent_mesh: MeshClient, scripted: ScriptedUpstream, mcp_server: McpFixture
) -> None:
    admin = member(agent_mesh, "dify-stop", admin=True)
    register_mcp(agent_mesh, admin, "weather", mcp_server.url)
    app_id = agent_app(
        agent_mesh, admin, tools=[{"provider_type": "mcp", "provider_id": "weather", "tool_name": "slow"}]
    )
    # The slow tool hangs past the mesh's tool timeout (6 s); the stop and the disconnect land while it runs.
    for n, how in enumerate(("stop", "disconnect"), start=1):
        scripted.push(Script(chunks=["Checking. "], tool_calls=[ToolCallScript("weather__slow", '{"city": "Oslo"}')]))
        with agent_mesh.http.stream(
            "POST", f"/console/api/apps/{app_id}/chat-messages", json={"query": "weather?"}, headers=admin.headers
        ) as response:
            seen: list[dict[str, Any]] = []
            lines = response.iter_lines()
            for line in lines:
                if not line.startswith("data: "):
                    continue
                event = orjson.loads(line[6:])
                seen.append(event)
                if event["event"] == "agent_thought" and event["tool"] == "weather__slow" and not event["observation"]:
                    break
            task_id, conversation_id = seen[-1]["task_id"], seen[-1]["conversation_id"]
            assert _wait(lambda n=n: mcp_server.calls.count("slow:Oslo") == n)  # the tool is running now
            if how == "stop":
                stopped = agent_mesh.http.post(
                    f"/console/api/apps/{app_id}/chat-messages/{task_id}/stop", headers=admin.headers
                )
                assert stopped.status_code == 200 and stopped.json() == {"result": "success"}
                rest = [orjson.loads(x[6:]) for x in lines if x.startswith("data: ")]
                assert rest[-1]["event"] == "message_end"
                done = [e for e in rest if e["event"] == "agent_thought" and e["observation"]]
                assert "not finished: the run was stopped" in done[0]["observation"]
        # After a disconnect the gateway cancels the call; the service keeps what the run did.
        stored = _wait(lambda conversation_id=conversation_id: _stored(agent_mesh, conversation_id))
        assert stored and stored["status"] == "stopped", (how, stored)
        assert stored["answer"] == "Checking. " and stored["agent_thoughts"][0]["tool"] == "weather__slow"
    assert mcp_server.calls.count("slow:Oslo") == 2
