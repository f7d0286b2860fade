"""Dify agent apps through the launcher: blocking mode returns agent_thoughts; a ReAct answer streams as written."""

from __future__ import annotations

import orjson

from services.kit.testing.openai_upstream import Script, ScriptedUpstream, ToolCallScript
from tests.e2e.agents.conftest import STOCK, member
from tests.e2e.agents.test_dify_agents import agent_app, ask
from tests.e2e.conftest import MeshClient

QUOTE = [{"provider_type": "builtin", "tool_name": "stock_quote"}]


def test_blocking_mode_returns_the_steps_as_dify_does(agent_mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    user = member(agent_mesh, "dify-blocking")
    app_id = agent_app(agent_mesh, user, tools=QUOTE)
    scripted.push(
        Script(chunks=[], tool_calls=[ToolCallScript("stock_quote", f'{{"code": "{STOCK}"}}')]),
        Script(chunks=["Quote: ", "{observation}"]),
    )
    reply = agent_mesh.http.post(
        f"/console/api/apps/{app_id}/chat-messages",
        json={"query": "How did 600000 do?", "response_mode": "blocking"},
        headers=user.headers,
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["answer"].startswith("Quote: stock: 浦发银行 (600000) closed")
    called, final = body["agent_thoughts"]
    assert (called["position"], called["tool"], final["position"], final["tool"]) == (1, "stock_quote", 2, "")
    assert orjson.loads(called["tool_input"]) == {"stock_quote": {"code": STOCK}}
    assert "浦发银行 (600000) closed" in orjson.loads(called["observation"])["stock_quote"]
    assert final["thought"] == body["answer"] and called["message_id"] == body["message_id"]
    assert set(called) == {
        "id",
        "chain_id",
        "message_id",
        "position",
        "thought",
        "tool",
        "tool_labels",
        "tool_input",
        "created_at",
        "observation",
        "files",
    }
    listed = agent_mesh.http.get(
        f"/console/api/apps/{app_id}/chat-messages",
        params={"conversation_id": body["conversation_id"]},
        headers=user.headers,
    ).json()["data"]
    assert listed[-1]["agent_thoughts"] == body["agent_thoughts"]

    # A chat app without agent mode answers blocking as before, without the key.
    plain = agent_app(agent_mesh, user, tools=[], agent_mode={"enabled": False, "tools": []})
    scripted.push(Script(chunks=["plain"]))
    reply = agent_mesh.http.post(
        f"/console/api/apps/{plain}/chat-messages",
        json={"query": "hi", "response_mode": "blocking"},
        headers=user.headers,
    )
    assert reply.json()["answer"] == "plain" and "agent_thoughts" not in reply.json()


def test_a_react_final_answer_streams_as_agent_messages(agent_mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    user = member(agent_mesh, "dify-react")
    app_id = agent_app(agent_mesh, user, tools=QUOTE)
    saved = agent_mesh.http.get(f"/console/api/apps/{app_id}", headers=user.headers).json()
    config = {**saved["model_config"], "agent_mode": {**saved["model_config"]["agent_mode"], "strategy": "react"}}
    assert agent_mesh.http.post(f"/console/api/apps/{app_id}/model-config", json=config, headers=user.headers)
    scripted.push(
        Script(chunks=["Thought: quote first\n", "Action: stock_quote\n", f'Action Input: {{"code": "{STOCK}"}}']),
        Script(
            chunks=["Thought: I know it\nFinal", " Answer: The ", "close ", "was ", "in: ", "{observation}"],
            delay_s=0.05,
        ),
    )
    events = ask(agent_mesh, user, app_id, "How did 600000 do?")
    pieces = [e["answer"] for e in events if e["event"] == "agent_message"]
    assert len(pieces) >= 3, pieces  # token by token, not one message at the end
    answer = "".join(pieces)
    assert answer.startswith("The close was in: stock: 浦发银行 (600000) closed") and "Final Answer" not in answer
    thoughts = [e for e in events if e["event"] == "agent_thought" and e["tool"] == "stock_quote"]
    assert thoughts[0]["thought"] == "quote first"
    assert "stop" in scripted.chat_requests()[0].body and "tools" not in scripted.chat_requests()[0].body
