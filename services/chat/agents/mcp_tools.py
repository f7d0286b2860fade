"""MCP servers of a company: company admins register them, the company's agents get their tools.

A server's tools are listed when it is registered and again, at most once per cache period, when a run needs them;
each call opens its own session through the outbound policy. Headers (e.g. an Authorization key) are stored sealed.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import orjson
import sqlalchemy as sa
import structlog
from google.protobuf import timestamp_pb2
from meshconsole.chat.v1 import chat_pb2
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chat.agents.mcp_client import ListedTool, McpConnector, McpUnavailable
from services.chat.agents.toolbox import Tool, ToolFailure, ToolResult
from services.chat.records import McpServerRecord
from services.kit.clock import as_utc, utcnow
from services.kit.context import Principal
from services.kit.crypto import SecretBox
from services.kit.errors import AlreadyExists, InvalidArgument, PermissionDenied, Unavailable

log = structlog.get_logger(__name__)
NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_SERVERS = 20
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def tool_name(server: str, tool: str) -> str:
    """The function name the model sees: `<server>__<tool>`, within OpenAI's 64 characters."""
    return _UNSAFE.sub("_", f"{server}__{tool}")[:64]


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise PermissionDenied("only company admins may manage MCP servers", reason="mcp_admin_required")


class McpRegistry:
    """The company's MCP servers (stored) and their tools (listed live, cached per company)."""

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], box: SecretBox, connector: McpConnector, ttl_s: float
    ) -> None:
        self.sessions = sessions
        self.box = box
        self.connector = connector
        self.ttl_s = ttl_s
        self._listed: dict[str, tuple[float, list[ListedTool]]] = {}

    def clear(self) -> int:
        count = len(self._listed)
        self._listed.clear()
        return count

    async def _records(self, company_id: int) -> list[McpServerRecord]:
        async with self.sessions() as session:
            query = sa.select(McpServerRecord).where(McpServerRecord.company_id == company_id)
            return list((await session.execute(query.order_by(McpServerRecord.name))).scalars())

    def _headers(self, record: McpServerRecord) -> dict[str, str]:
        if not record.headers_encrypted:
            return {}
        return dict(orjson.loads(self.box.decrypt(record.headers_encrypted)))

    async def register(
        self, *, principal: Principal, name: str, url: str, headers: dict[str, str]
    ) -> chat_pb2.McpServer:
        """Check the URL against the policy, list the server's tools, and store it for the company."""
        _require_admin(principal)
        if not NAME.match(name):
            raise InvalidArgument("name must be 1-32 letters, digits, _ or -", field="name")
        if len(await self._records(principal.company_id)) >= MAX_SERVERS:
            raise InvalidArgument(f"a company may register at most {MAX_SERVERS} MCP servers", field="name")
        await self.connector.policy.check(url, field="url")
        try:
            listed = await self.connector.list_tools(url, headers)
        except McpUnavailable as error:
            raise Unavailable(str(error), reason="mcp_unavailable") from None
        now = utcnow()
        record = McpServerRecord(
            id=str(uuid.uuid4()),
            company_id=principal.company_id,
            user_id=principal.user_id,
            name=name,
            url=url,
            headers_encrypted=self.box.encrypt(orjson.dumps(headers).decode()) if headers else "",
            enabled=True,
            tools=[{"name": t.name, "description": t.description} for t in listed],
            status="available",
            created_at=now,
            updated_at=now,
        )
        try:
            async with self.sessions() as session, session.begin():
                session.add(record)
        except IntegrityError:
            raise AlreadyExists(f"an MCP server named {name!r} exists", reason="mcp_server_exists") from None
        self._listed.pop(f"{principal.company_id}/{name}", None)
        return server_message(record)

    async def servers(self, *, principal: Principal) -> list[chat_pb2.McpServer]:
        return [server_message(r) for r in await self._records(principal.company_id)]

    async def delete(self, *, principal: Principal, name: str) -> None:
        _require_admin(principal)
        async with self.sessions() as session, session.begin():
            await session.execute(
                sa.delete(McpServerRecord).where(
                    McpServerRecord.company_id == principal.company_id, McpServerRecord.name == name
                )
            )
        self._listed.pop(f"{principal.company_id}/{name}", None)

    async def _listing(self, record: McpServerRecord) -> list[ListedTool]:
        key = f"{record.company_id}/{record.name}"
        cached = self._listed.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        listed = await self.connector.list_tools(record.url, self._headers(record))
        self._listed[key] = (time.monotonic() + self.ttl_s, listed)
        return listed

    async def tools(self, *, principal: Principal, selection: list[tuple[str, str]] | None) -> list[Tool]:
        """The company's MCP tools (all, or the (server, tool) pairs selected; tool "" = all of a server).

        A server that does not answer is left out of this run (logged), never a failed run.
        """
        out: list[Tool] = []
        for record in await self._records(principal.company_id):
            if not record.enabled:
                continue
            chosen = None if selection is None else {t for s, t in selection if s == record.name}
            if chosen is not None and not chosen:
                continue
            try:
                listed = await self._listing(record)
            except Exception as error:  # an unreachable server only loses its tools
                log.warning("mcp_server_unavailable", server=record.name, error=type(error).__name__)
                continue
            for tool in listed:
                if chosen is None or "" in chosen or tool.name in chosen:
                    out.append(self._tool(record, tool))
        return out

    def _tool(self, record: McpServerRecord, listed: ListedTool) -> Tool:
        url, headers, connector = record.url, self._headers(record), self.connector

        async def run(args: dict[str, Any]) -> ToolResult:
            try:
                text, failed = await connector.call(url, headers, tool=listed.name, arguments=args)
            except McpUnavailable as error:
                raise ToolFailure(str(error)) from None
            if failed:
                raise ToolFailure(f"{listed.name} reported an error: {text}")
            return ToolResult(text)

        return Tool(
            name=tool_name(record.name, listed.name),
            description=listed.description or f"{listed.name} (MCP server {record.name})",
            parameters=listed.input_schema,
            handler=run,
            label=f"{record.name}/{listed.name}",
        )


def server_message(record: McpServerRecord) -> chat_pb2.McpServer:
    created = timestamp_pb2.Timestamp()
    created.FromDatetime(as_utc(record.created_at))
    return chat_pb2.McpServer(
        id=record.id,
        name=record.name,
        url=record.url,
        enabled=record.enabled,
        tools=[chat_pb2.McpTool(name=t.get("name", ""), description=t.get("description", "")) for t in record.tools],
        status=record.status,
        created_at=created,
    )
