"""An agent mesh: the scripted upstream, a fixture market dataset, a real MCP server, short tool timeouts."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from mcp.server.mcpserver import MCPServer

from services.chat.agents.stocks.dataset import load
from services.kit.testing.openai_upstream import ScriptedUpstream
from tests.e2e.chat.helpers import bearer
from tests.e2e.conftest import MeshClient, start_mesh

TOOL_TIMEOUT_S = 6.0
STOCK = "600000"
INDUSTRY = "BK0475"


@dataclass
class McpFixture:
    url: str
    calls: list[str]


def fixture_market(path: Path) -> None:
    """Thirty-five days of made-up test bars for one stock, its industry board and the index, plus two news items."""
    bars = []
    for day in range(35):
        date = f"2024-03-{day + 1:02d}" if day < 31 else f"2024-04-{day - 30:02d}"
        for code, base, step in ((STOCK, 10.0, 0.1), (INDUSTRY, 1000.0, -1.0), ("sh000001", 3000.0, 3.0)):
            wave = (day % 7 - 3) * step * 4
            close = base + day * step + wave
            bars.append(
                {
                    "code": code,
                    "date": date,
                    "open": close,
                    "high": close * 1.01,
                    "low": close * 0.99,
                    "close": close,
                    "volume": 1000 + day,
                }
            )
    stocks = [
        {
            "code": STOCK,
            "name": "浦发银行",
            "industry": "银行",
            "industry_code": INDUSTRY,
            "index_code": "sh000001",
            "index_name": "上证指数",
        }
    ]
    news = [
        {"code": STOCK, "date": "2024-04-04", "title": "Fixture bank opens 12 branches", "summary": "test news"},
        {"code": STOCK, "date": "2024-04-03", "title": "Fixture rates unchanged", "summary": ""},
    ]
    load(path, stocks=stocks, daily_bars=bars, news=news)


def serve_mcp() -> tuple[uvicorn.Server, int, list[str]]:
    """A real MCP server (the official SDK, streamable HTTP) with a working, a hanging and a failing tool."""
    calls: list[str] = []
    server = MCPServer("weather")

    @server.tool()
    def forecast(city: str) -> str:
        """The weather forecast for a city."""
        calls.append(f"forecast:{city}")
        return f"Forecast for {city}: hail at dawn, code MCP-7731"

    @server.tool()
    async def slow(city: str) -> str:
        """A forecast that takes very long."""
        calls.append(f"slow:{city}")
        await asyncio.sleep(60)
        return "too late"

    @server.tool()
    def broken(city: str) -> str:
        """A forecast service that is down."""
        calls.append(f"broken:{city}")
        raise ValueError("the forecast backend is down")

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    running = uvicorn.Server(uvicorn.Config(server.streamable_http_app(), log_level="warning"))
    threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True).start()
    deadline = time.monotonic() + 10
    while not running.started:
        assert time.monotonic() < deadline, "MCP server did not start"
        time.sleep(0.02)
    return running, port, calls


@pytest.fixture(scope="session")
def mcp_server() -> Iterator[McpFixture]:
    running, port, calls = serve_mcp()
    try:
        yield McpFixture(f"http://127.0.0.1:{port}/mcp", calls)
    finally:
        running.should_exit = True


@pytest.fixture(scope="session")
def agent_mesh(tmp_path_factory: pytest.TempPathFactory, upstream: ScriptedUpstream) -> Iterator[MeshClient]:
    """A mesh whose agents may reach loopback MCP servers, with the fixture dataset and short tool timeouts."""
    data_dir = tmp_path_factory.mktemp("agent-mesh")
    dataset = data_dir / "fixture-market.db"
    fixture_market(dataset)
    settings = {
        "MESH_MODEL_ENDPOINT_NETWORKS": "127.0.0.0/8",
        "MESH_CHAT_MCP_NETWORKS": "127.0.0.0/8",
        "MESH_CHAT_STOCK_DATASET": str(dataset),
        "MESH_CHAT_AGENT_TOOL_TIMEOUT_S": str(TOOL_TIMEOUT_S),
    }
    running = start_mesh(data_dir, upstream, settings=settings)
    try:
        with httpx.Client(base_url=running.base_url, timeout=60.0) as http:
            yield MeshClient(mesh=running, http=http)
    finally:
        running.stop()


@dataclass
class Member:
    token: str
    company: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


def member(mesh: MeshClient, label: str, *, company: str | None = None, admin: bool = False) -> Member:
    """A user in a fresh company (or the one named); company admins manage MCP servers."""
    suffix = uuid.uuid4().hex[:8]
    account = f"{label}-{suffix}@agents.test"
    extra = {"roles": ["admin"]} if admin else {}
    made = mesh.create_user(account, "agent-pass-123", company or f"{label} Co {suffix}", **extra)
    return Member(mesh.login(account, "agent-pass-123"), str(made["company"]))


def register_mcp(mesh: MeshClient, admin: Member, name: str, url: str) -> None:
    reply = mesh.http.post("/api/mcp/add", params={"service_name": name, "mcp_url": url}, headers=admin.headers)
    assert reply.status_code == 200, reply.text


def index_document(mesh: MeshClient, who: Member, index: str, text: str, filename: str) -> None:
    """A knowledge base with one document, indexed before the call returns."""
    assert mesh.http.post(f"/api/indices/{index}", headers=who.headers).status_code == 200
    body = {
        "results": [
            {
                "metadata": {"filename": filename, "title": filename},
                "source": filename,
                "text": text,
                "source_type": "file",
            }
        ]
    }
    indexed = mesh.http.post(f"/api/indices/{index}/documents", headers=who.headers, json=body)
    assert indexed.status_code == 200 and indexed.json()["total_indexed"] == 1, indexed.text
