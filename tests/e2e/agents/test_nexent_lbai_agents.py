"""Nexent agent/run and lbai stock analysis through the launcher: MCP and knowledge tools, stock tools, limits."""

from __future__ import annotations

from typing import Any

import orjson

from services.kit.testing.openai_upstream import Script, ScriptedUpstream, ToolCallScript
from tests.e2e.agents.conftest import STOCK, McpFixture, Member, index_document, member, register_mcp
from tests.e2e.chat.helpers import sse_events
from tests.e2e.conftest import MeshClient


def run(mesh: MeshClient, who: Member, query: str, **body: Any) -> list[dict[str, str]]:
    with mesh.http.stream("POST", "/api/agent/run", json={"query": query, **body}, headers=who.headers) as response:
        assert response.status_code == 200, response.read()
        return [e for e in sse_events(response) if isinstance(e, dict)]


def of(frames: list[dict[str, str]], kind: str) -> list[str]:
    return [f["content"] for f in frames if f["type"] == kind]


def tool_results(scripted: ScriptedUpstream, request: int) -> list[str]:
    return [m["content"] for m in scripted.chat_requests()[request].body["messages"] if m["role"] == "tool"]


def test_nexent_agent_uses_an_mcp_tool_and_its_knowledge_bases(
    agent_mesh: MeshClient, scripted: ScriptedUpstream, mcp_server: McpFixture
) -> None:
    admin = member(agent_mesh, "nexent-agent", admin=True)
    register_mcp(agent_mesh, admin, "weather", mcp_server.url)
    listed = agent_mesh.http.get("/api/mcp/list", headers=admin.headers).json()["remote_mcp_server_list"]
    assert listed[0]["remote_mcp_server_name"] == "weather" and "forecast" in listed[0]["tools"]
    index_document(agent_mesh, admin, "harbour-kb", "The harbour master's boat is painted teal and gold.", "boat.txt")
    saved = agent_mesh.http.post(
        "/api/config/save_config", json={"data": {"selectedKbNames": ["harbour-kb"]}}, headers=admin.headers
    )
    assert saved.status_code == 200, saved.text
    scripted.push(
        Script(
            chunks=[],
            interleave=True,
            tool_calls=[
                ToolCallScript("weather__forecast", '{"city": "Bergen"}'),
                ToolCallScript("knowledge_search", '{"query": "harbour master boat colour"}'),
            ],
        ),
        Script(chunks=["Done: ", "{observation}"]),
    )
    frames = run(agent_mesh, admin, "Weather in Bergen and the boat colour?")
    kinds = [f["type"] for f in frames]
    assert kinds[:2] == ["agent_new_run", "step_count"] and of(frames, "step_count") == ["步骤 1", "步骤 2"]
    assert of(frames, "model_output_code") == [
        'weather__forecast({"city": "Bergen"})',
        'knowledge_search({"query": "harbour master boat colour"})',
    ]
    logs = of(frames, "execution_logs")
    assert "hail at dawn, code MCP-7731" in logs[0] and "teal and gold" in logs[1]
    assert mcp_server.calls[-1] == "forecast:Bergen"
    results = tool_results(scripted, 1)
    assert "MCP-7731" in results[0] and "teal and gold" in results[1]
    found = orjson.loads(of(frames, "search_content")[0])
    assert found[0]["title"] == "boat.txt" and "teal and gold" in found[0]["text"] and found[0]["score"] > 0
    assert found[0]["source"] == "harbour-kb"
    # The answer streams token by token as final_answer frames, with tools as without.
    assert "".join(of(frames, "final_answer")) == f"Done: {results[1]}"
    assert "model_output_thinking" not in kinds
    counts = orjson.loads(of(frames, "token_count")[0])
    assert counts["prompt_tokens"] == 22 and kinds[-1] == "token_count"
    sources = agent_mesh.http.post(
        "/api/conversation/sources",
        json={"conversation_id": counts["conversation_id"], "message_id": counts["message_id"]},
        headers=admin.headers,
    ).json()["data"]["searches"]
    assert sources[0]["filename"] == "boat.txt" and "teal and gold" in sources[0]["text"]

    # Another company sees neither the MCP server nor its tools.
    other = member(agent_mesh, "nexent-agent-other", admin=True)
    assert agent_mesh.http.get("/api/mcp/list", headers=other.headers).json()["remote_mcp_server_list"] == []
    scripted.push(Script(chunks=["no tools"]))
    run(agent_mesh, other, "Weather?")
    assert "tools" not in scripted.chat_requests()[-1].body


def test_a_failing_and_a_hanging_mcp_tool_become_observations(
    agent_mesh: MeshClient, scripted: ScriptedUpstream, mcp_server: McpFixture
) -> None:
    admin = member(agent_mesh, "nexent-agent-fail", admin=True)
    register_mcp(agent_mesh, admin, "weather", mcp_server.url)
    scripted.push(
        Script(
            chunks=[],
            tool_calls=[
                ToolCallScript("weather__broken", '{"city": "Oslo"}'),
                ToolCallScript("weather__slow", '{"city": "Oslo"}'),
            ],
        ),
        Script(chunks=["Both failed."]),
    )
    frames = run(agent_mesh, admin, "Weather?")
    results = tool_results(scripted, 1)
    # The SDK's server reports a tool's exception without its text; the model still hears that it failed.
    assert results[0] == "error: broken reported an error: Error executing tool broken"
    assert results[1] == "error: weather__slow did not finish within 6 s"
    assert "".join(of(frames, "final_answer")) == "Both failed."


def test_mcp_registration_is_for_company_admins_and_passes_the_outbound_policy(
    agent_mesh: MeshClient, mcp_server: McpFixture
) -> None:
    user = member(agent_mesh, "nexent-mcp-user")
    params = {"service_name": "weather", "mcp_url": mcp_server.url}
    refused = agent_mesh.http.post("/api/mcp/add", params=params, headers=user.headers)
    assert refused.status_code == 403, refused.text
    admin = member(agent_mesh, "nexent-mcp-admin", admin=True)
    metadata = {"service_name": "meta", "mcp_url": "http://169.254.169.254/mcp"}
    blocked = agent_mesh.http.post("/api/mcp/add", params=metadata, headers=admin.headers)
    assert blocked.status_code == 400 and "url" in blocked.text


def test_lbai_stock_info_and_mark_type_900_use_the_fixture_dataset(
    agent_mesh: MeshClient, scripted: ScriptedUpstream
) -> None:
    user = member(agent_mesh, "lbai-stock")
    scripted.push(Script(chunks=["### 新闻分析\n", "分析。"]))
    body = {"stocks_code": STOCK, "stocks_name": "浦发银行", "maximum_value": "0.05", "minimum_value": "0.02"}
    reply = agent_mesh.http.post("/ai-api/v1/stock/info", json=body, headers=user.headers)
    assert reply.status_code == 200, reply.text
    data = reply.json()["data"]
    answer = data["answer"]
    # The fixture's last two closes: 600000 13.4 -> 13.8 (wave), i.e. a computed change, never a model's number.
    assert (
        answer.startswith("### 股票: 浦发银行") and "**股票当日涨跌幅:**" in answer and "**行业当日涨跌幅:**" in answer
    )
    assert "Fixture bank opens 12 branches" in answer and "### 阈值提醒" in answer and "分析。" in answer
    assert data["model"] == "mesh-e2e-model" and len(data["requestId"]) >= 16
    prompt = str(scripted.chat_requests()[-1].body["messages"])
    assert "Fixture bank opens 12 branches" in prompt

    before = len(scripted.chat_requests())
    missing = agent_mesh.http.post("/ai-api/v1/stock/info", json={"stocks_code": "999999"}, headers=user.headers)
    assert missing.status_code == 200 and "没有 999999 的行情数据" in missing.json()["data"]["answer"]
    assert missing.json()["data"]["model"] == "" and len(scripted.chat_requests()) == before

    sessions = agent_mesh.http.get("/ai-api/v1/chat/list", params={"session_type": 1}, headers=user.headers)
    session_id = sessions.json()["data"][0]["session_id"]
    scripted.push(
        Script(chunks=[], tool_calls=[ToolCallScript("stock_quote", f'{{"code": "{STOCK}"}}')]),
        Script(chunks=["行情: ", "{observation}"]),
        Script(
            chunks=[], tool_calls=[ToolCallScript("stock_backtest", f'{{"code": "{STOCK}", "strategy": "sma_cross"}}')]
        ),
        Script(chunks=["回测: ", "{observation}"]),
        Script(chunks=[], tool_calls=[ToolCallScript("stock_quote", '{"code": "999999"}')]),
        Script(chunks=["{observation}"]),
    )
    texts = []
    for mark_type, question in ((900, "分析浦发银行"), (901, "回测浦发银行"), (900, "分析 999999")):
        asked = {"session_id": session_id, "user_question": {"type": 0, "content": question}, "mark_type": mark_type}
        answered = agent_mesh.http.post("/ai-api/v1/chat/completions", json=asked, headers=user.headers)
        assert answered.status_code == 200, answered.text
        texts.append(answered.json()["data"]["message"]["text"])
    assert texts[0].startswith("行情: stock: 浦发银行 (600000) closed") and "industry: 银行 (BK0475)" in texts[0]
    assert "index: 上证指数 (sh000001)" in texts[0]
    assert "backtest of sma_cross on 600000" in texts[1] and "max drawdown" in texts[1] and "Sharpe" in texts[1]
    assert texts[2] == "error: no market data for 999999 from the local provider; do not guess its price or change"
    tools = [t["function"]["name"] for t in scripted.chat_requests()[-2].body["tools"]]
    assert tools == ["stock_quote", "stock_news"]
    history = agent_mesh.http.get(
        "/ai-api/v1/chat/msgList",
        params={"session_id": session_id, "page_num": 1, "page_size": 10},
        headers=user.headers,
    ).json()["data"]["items"]
    assert any("backtest of sma_cross" in item["message"]["text"] for item in history)
