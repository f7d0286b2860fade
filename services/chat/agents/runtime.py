"""The agent runtime: builds a run's tools from its plan and runs the loop; the generation core streams it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

from meshconsole.files.v1 import files_pb2_grpc
from meshconsole.retrieval.v1 import retrieval_pb2_grpc

from services.chat.agents.builtin import knowledge_tool, read_file_tool, web_fetch_tool
from services.chat.agents.journal import StepJournal
from services.chat.agents.loop import AgentLoop
from services.chat.agents.plan import AgentPlan
from services.chat.agents.settings import AgentSettings
from services.chat.agents.steps import AgentDelta
from services.chat.agents.stocks.provider import MarketData
from services.chat.agents.stocks.tools import stock_tools
from services.chat.agents.toolbox import Tool, ToolBox
from services.chat.generation.upstream import UpstreamClients
from services.chat.models.registry import ResolvedModel
from services.kit.context import Principal


class McpTools(Protocol):
    """The company's MCP tools (services.chat.agents.mcp_tools)."""

    async def tools(self, *, principal: Principal, selection: list[tuple[str, str]] | None) -> list[Tool]: ...


class AgentRuntime:
    """Everything a run needs besides its plan: the upstream, peers for the builtin tools, market data, MCP."""

    def __init__(
        self,
        *,
        settings: AgentSettings,
        upstream: UpstreamClients,
        retrieval: retrieval_pb2_grpc.RetrievalServiceStub | None,
        files: files_pb2_grpc.FilesServiceStub | None,
        market: MarketData | None,
        mcp: McpTools | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.settings = settings
        self.upstream = upstream
        self.retrieval = retrieval
        self.files = files
        self.market = market
        self.mcp = mcp
        self.timeout_s = timeout_s
        self.journal = StepJournal()  # the generation core saves each finished step through it

    async def toolbox(self, *, principal: Principal, plan: AgentPlan) -> ToolBox:
        """The tools of a run: only what its plan names, each acting for the caller."""
        tools: list[Tool] = []
        wanted = set(plan.builtin)
        tool_timeout = self.settings.chat_agent_tool_timeout_s
        if "knowledge_search" in wanted and (plan.indices or plan.mounted) and self.retrieval is not None:
            tools.append(
                knowledge_tool(
                    stub=self.retrieval,
                    principal=principal,
                    indices=plan.indices,
                    mounted=plan.mounted,
                    top_k=plan.top_k,
                    timeout_s=tool_timeout,
                )
            )
        if "read_file" in wanted and plan.files and self.files is not None:
            tools.append(read_file_tool(stub=self.files, principal=principal, files=plan.files, timeout_s=tool_timeout))
        if "web_fetch" in wanted and self.files is not None:
            tools.append(web_fetch_tool(stub=self.files, principal=principal, timeout_s=tool_timeout))
        if self.market is not None:
            tools.extend(stock_tools(self.market, [n for n in plan.builtin if n.startswith("stock_")]))
        if self.mcp is not None and (plan.mcp is None or plan.mcp):
            tools.extend(await self.mcp.tools(principal=principal, selection=plan.mcp))
        return ToolBox(tools, timeout_s=tool_timeout, max_output_chars=self.settings.chat_agent_max_observation_chars)

    async def run(
        self,
        *,
        principal: Principal,
        plan: AgentPlan,
        model: ResolvedModel,
        messages: Sequence[Mapping[str, Any]],
        params: dict[str, Any],
        stop: asyncio.Event,
    ) -> AsyncIterator[AgentDelta]:
        """Stream one run (see AgentLoop.run)."""
        box = plan.toolbox if plan.toolbox is not None else await self.toolbox(principal=principal, plan=plan)
        loop = AgentLoop(
            upstream=self.upstream,
            toolbox=box,
            strategy=plan.strategy,
            limits=self.settings.limits(max_iterations=plan.max_iterations),
        )
        async for delta in loop.run(model, messages=messages, params=params, stop=stop):
            yield delta
