"""Nexent agent runs through the launcher: read_file of minio_files, web_fetch under the outbound policy, and MCP
servers that stay their company's at run time."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from services.kit.testing.openai_upstream import Script, ScriptedUpstream, ToolCallScript
from tests.e2e.agents.conftest import McpFixture, Member, member, register_mcp
from tests.e2e.agents.test_nexent_lbai_agents import of, run, tool_results
from tests.e2e.conftest import MeshClient


def stored_file(mesh: MeshClient, who: Member, name: str, text: str) -> dict[str, Any]:
    """A file in Nexent's storage, as its client then names it in minio_files."""
    files = {"files": (name, text.encode(), "text/plain")}
    reply = mesh.http.post("/api/file/storage", files=files, headers=who.headers)
    assert reply.status_code == 200, reply.text
    result = reply.json()["results"][0]
    return {"object_name": result["object_name"], "name": name, "url": result.get("url", "")}


def test_read_file_reads_the_runs_files_for_the_caller_only(agent_mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    owner = member(agent_mesh, "agent-read")
    secret = f"Shipment {uuid.uuid4().hex[:8]} leaves from pier nine at dawn."
    attached = stored_file(agent_mesh, owner, "manifest.txt", f"Manifest\n{secret}\n")
    call = ToolCallScript("read_file", f'{{"file_id": "{attached["object_name"]}"}}')
    scripted.push(Script(chunks=[], tool_calls=[call]), Script(chunks=["{observation}"]))
    frames = run(agent_mesh, owner, "Where does the shipment leave?", minio_files=[attached])
    assert secret in tool_results(scripted, 1)[0] and secret in "".join(of(frames, "final_answer"))
    tools = [t["function"]["name"] for t in scripted.chat_requests()[0].body["tools"]]
    assert tools == ["read_file"]

    # Another company names the same object in its own run: files does not know it for them.
    other = member(agent_mesh, "agent-read-other")
    scripted.reset()
    scripted.push(Script(chunks=[], tool_calls=[call]), Script(chunks=["{observation}"]))
    frames = run(agent_mesh, other, "Read it", minio_files=[attached])
    assert tool_results(scripted, 1) == [f"error: file {attached['object_name']} no longer exists"]
    assert all(secret not in str(r.body) for r in scripted.chat_requests())


@pytest.fixture
def local_page() -> Iterator[tuple[str, list[str]]]:
    """A web page on loopback, and the paths anyone asked it for."""
    asked: list[str] = []

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = b"<html><body><p>Internal wiki: the door code is 4412.</p></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/wiki", asked
    finally:
        server.shutdown()
        server.server_close()


def test_web_fetch_refuses_loopback_and_metadata_addresses_as_an_observation(
    agent_mesh: MeshClient, scripted: ScriptedUpstream, local_page: tuple[str, list[str]]
) -> None:
    url, asked = local_page
    user = member(agent_mesh, "agent-web")
    saved = agent_mesh.http.post("/api/config/save_config", json={"tools": ["web_fetch"]}, headers=user.headers)
    assert saved.status_code == 200, saved.text
    scripted.push(
        Script(
            chunks=[],
            tool_calls=[
                ToolCallScript("web_fetch", f'{{"url": "{url}"}}'),
                ToolCallScript("web_fetch", '{"url": "http://169.254.169.254/latest/meta-data/"}'),
            ],
        ),
        Script(chunks=["Could not read them."]),
    )
    frames = run(agent_mesh, user, "What is on the internal wiki?")
    loopback, metadata = tool_results(scripted, 1)
    assert loopback.startswith(f"error: could not fetch {url}: ") and "4412" not in loopback
    assert metadata.startswith("error: could not fetch http://169.254.169.254/latest/meta-data/: ")
    assert all(word in loopback for word in ("private", "address")), loopback
    assert asked == []  # the page was never requested
    assert "".join(of(frames, "final_answer")) == "Could not read them."


def test_another_companys_mcp_server_is_not_a_tool_of_this_run(
    agent_mesh: MeshClient, scripted: ScriptedUpstream, mcp_server: McpFixture
) -> None:
    owner = member(agent_mesh, "mcp-owner", admin=True)
    register_mcp(agent_mesh, owner, "weather", mcp_server.url)
    # The other company has an MCP server of its own (same endpoint, another name): its tools only.
    other = member(agent_mesh, "mcp-other", admin=True)
    register_mcp(agent_mesh, other, "storm", mcp_server.url)
    before = list(mcp_server.calls)
    scripted.push(
        Script(chunks=[], tool_calls=[ToolCallScript("weather__forecast", '{"city": "Tromsø"}')]),
        Script(chunks=["{observation}"]),
    )
    frames = run(agent_mesh, other, "Weather in Tromsø?")
    offered = [t["function"]["name"] for t in scripted.chat_requests()[0].body["tools"]]
    assert offered and all(name.startswith("storm__") for name in offered)
    [result] = tool_results(scripted, 1)
    assert result.startswith("error: there is no tool named 'weather__forecast'; the tools are: storm__")
    assert mcp_server.calls == before  # the owner's server was never called for the other company
    assert "".join(of(frames, "final_answer")) == result
