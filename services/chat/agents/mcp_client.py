"""Talks to MCP servers over streamable HTTP with the official `mcp` SDK, every connection through the outbound policy.

The SDK speaks httpx2 (httpcore2 underneath), so the policy's check-at-connect-time is applied by an httpcore2
network backend here, the same way services.kit.outbound.GuardedTransport does for httpx: each new connection's host
is resolved, every address checked, and only a checked address is dialled (no DNS rebinding, no environment proxy).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpcore2
import httpx2
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from services.kit.outbound import OutboundPolicy, OutboundRefused


class McpUnavailable(Exception):
    """The server could not be reached or did not speak MCP; the message is ours, never the remote's text."""


class _GuardedBackend(httpcore2.AsyncNetworkBackend):  # type: ignore[misc]
    def __init__(self, policy: OutboundPolicy) -> None:
        self.policy = policy
        self.inner = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore2's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> Any:
        try:
            checked = await self.policy.addresses(host, port)
        except OutboundRefused as refused:
            raise httpcore2.ConnectError(f"refused by the outbound policy: {refused.message}") from None
        failure: Exception = httpcore2.ConnectError("no address to connect to")
        for address in checked:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as error:
                failure = error
        raise failure

    async def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:  # noqa: ASYNC109
        raise httpcore2.ConnectError("unix sockets are not reachable through the outbound policy")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class _GuardedTransport(httpx2.AsyncHTTPTransport):  # type: ignore[misc]
    def __init__(self, policy: OutboundPolicy) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore2.AsyncConnectionPool(
            ssl_context=httpx2.create_ssl_context(trust_env=False),
            max_connections=10,
            network_backend=_GuardedBackend(policy),
        )


@dataclass(frozen=True)
class ListedTool:
    name: str
    description: str
    input_schema: dict[str, Any]


class McpConnector:
    """Opens one MCP session per use (list or call) against a server URL, under the policy and a timeout."""

    def __init__(self, *, policy: OutboundPolicy, timeout_s: float) -> None:
        self.policy = policy
        self.timeout_s = timeout_s

    @asynccontextmanager
    async def session(self, url: str, headers: dict[str, str]) -> AsyncIterator[ClientSession]:
        await self.policy.check(url, field="url")
        timeout = httpx2.Timeout(self.timeout_s, read=self.timeout_s)
        async with (
            httpx2.AsyncClient(transport=_GuardedTransport(self.policy), headers=headers, timeout=timeout) as http,
            streamable_http_client(url, http_client=http) as (read, write),
            ClientSession(read, write, read_timeout_seconds=self.timeout_s) as session,
        ):
            await session.initialize()
            yield session

    async def list_tools(self, url: str, headers: dict[str, str]) -> list[ListedTool]:
        try:
            async with self.session(url, headers) as session:
                listed = await session.list_tools()
        except OutboundRefused:
            raise
        except Exception as error:  # transport and protocol failures of every kind, reported in our words
            raise McpUnavailable(f"the MCP server did not answer ({type(error).__name__})") from None
        return [
            ListedTool(t.name, t.description or "", dict(t.input_schema or {"type": "object", "properties": {}}))
            for t in listed.tools
        ]

    async def call(
        self, url: str, headers: dict[str, str], *, tool: str, arguments: dict[str, Any]
    ) -> tuple[str, bool]:
        """The tool's text content and whether the server flagged it an error."""
        try:
            async with self.session(url, headers) as session:
                result = await session.call_tool(tool, arguments)
        except OutboundRefused:
            raise
        except Exception as error:
            raise McpUnavailable(f"the MCP server failed the call ({type(error).__name__})") from None
        texts = [str(getattr(block, "text", "")) for block in getattr(result, "content", []) or []]
        return "\n".join(t for t in texts if t), bool(getattr(result, "is_error", False))
