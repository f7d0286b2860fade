"""Nexent MCP servers: company admins add streamable-HTTP MCP servers whose tools the company's agents can call."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from meshconsole.chat.v1 import chat_pb2
from meshconsole.common.v1 import common_pb2
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients
from gateway.dialects.nexent.schemas import McpServerList, McpTools, Status

router = APIRouter(prefix="/api/mcp")
# Registering lists the server's tools, which may take the server a while.
REGISTER_TIMEOUT_S = 30.0
ServiceName = Annotated[str, Query(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


class AddBody(BaseModel):
    """Optional: headers sent with every request to the server (e.g. Authorization), stored encrypted."""

    model_config = ConfigDict(extra="ignore")

    headers: dict[str, Annotated[str, Field(max_length=4096)]] = Field(default_factory=dict, max_length=20)


@router.post("/add", response_model=Status)
async def add_server(
    principal: CurrentPrincipal,
    clients: Clients,
    service_name: ServiceName,
    mcp_url: Annotated[str, Query(min_length=1, max_length=2048)],
    body: Annotated[AddBody | None, Body()] = None,
) -> dict[str, Any]:
    """Register an MCP server (streamable HTTP) for the company; company admins only."""
    request = chat_pb2.RegisterMcpServerRequest(
        name=service_name, url=mcp_url, headers=body.headers if body is not None else {}
    )
    await clients.call(clients.agents.RegisterMcpServer, request, timeout_s=REGISTER_TIMEOUT_S)
    return {"status": "success", "message": "Successfully added remote MCP proxy"}


@router.delete("", response_model=Status)
async def delete_server(principal: CurrentPrincipal, clients: Clients, service_name: ServiceName) -> dict[str, Any]:
    """Remove an MCP server of the company; company admins only (idempotent)."""
    await clients.call(clients.agents.DeleteMcpServer, chat_pb2.DeleteMcpServerRequest(name=service_name))
    return {"status": "success", "message": "Successfully deleted remote MCP proxy"}


@router.get("/list", response_model=McpServerList)
async def list_servers(principal: CurrentPrincipal, clients: Clients) -> dict[str, Any]:
    """The company's MCP servers and the tools each listed when it was registered."""
    reply = await clients.call(clients.agents.ListMcpServers, common_pb2.Empty())
    servers = [
        {
            "remote_mcp_server_name": s.name,
            "remote_mcp_server": s.url,
            "status": s.status == "available",
            "tools": [t.name for t in s.tools],
        }
        for s in reply.servers
    ]
    return {"remote_mcp_server_list": servers, "status": "success"}


@router.get("/tools", response_model=McpTools)
async def server_tools(principal: CurrentPrincipal, clients: Clients, service_name: ServiceName) -> dict[str, Any]:
    """One server's tools (name and description)."""
    reply = await clients.call(clients.agents.ListMcpServers, common_pb2.Empty())
    found = [s for s in reply.servers if s.name == service_name]
    tools = [{"name": t.name, "description": t.description} for s in found for t in s.tools]
    return {"tools": tools, "status": "success"}
