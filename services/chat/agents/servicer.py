"""AgentService: Nexent agent runs as process units, config reloads on every replica, stock info, MCP servers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
import structlog
from google.protobuf import json_format
from meshconsole.apps.v1 import apps_pb2
from meshconsole.chat.v1 import chat_pb2, chat_pb2_grpc
from meshconsole.common.v1 import common_pb2
from nats.aio.client import Client

from services.chat.agents.plan import plan_from_nexent_config
from services.chat.agents.runtime import AgentRuntime
from services.chat.agents.stocks.dataset import DatasetError, load_csv
from services.chat.agents.stocks.report import stock_info
from services.chat.agents.units import LiveUnits, search_content
from services.chat.app_config import AppConfigReader
from services.chat.generation.coalesce import coalesced
from services.chat.generation.core import GenerationService
from services.chat.generation.prompt import Turn
from services.chat.generation.spec import GenerationSpec, StreamEvent
from services.kit import grpc_client
from services.kit import nats as mesh_nats
from services.kit.context import Principal, current_request_id, require_principal
from services.kit.errors import InvalidArgument, NotFound, PermissionDenied

log = structlog.get_logger(__name__)
RELOAD_SUBJECT = "mesh.control.chat.agents.reload"
UNIT_TYPES = {
    name.removeprefix("AGENT_EVENT_TYPE_").lower(): number for name, number in chat_pb2.AgentEventType.items() if number
}


def _unit(event: StreamEvent, kind: str, content: str) -> chat_pb2.AgentEvent:
    return chat_pb2.AgentEvent(
        task_id=event.task_id,
        message_id=event.message_id,
        conversation_id=event.conversation_id,
        unit=chat_pb2.AgentUnit(type=UNIT_TYPES[kind], content=content),  # type: ignore[arg-type]
    )


class AgentServicer(chat_pb2_grpc.AgentServiceServicer):
    """Agent runs go through the generation core (one persisted, stoppable turn) with an agent plan."""

    def __init__(
        self,
        *,
        app_configs: AppConfigReader | None,
        generation: GenerationService | None = None,
        agents: AgentRuntime | None = None,
        nc: Client | None = None,
    ) -> None:
        self.app_configs = app_configs
        self.generation = generation
        self.agents = agents
        self.nc = nc

    async def attach(self) -> None:
        """Every replica drops its cached agent config when any replica is asked to reload."""
        if self.nc is not None:
            await mesh_nats.subscribe_traced(self.nc, RELOAD_SUBJECT, self._on_reload, consumer="chat-agent-reload")

    async def _on_reload(self, msg: Any) -> None:
        evicted = self._drop_caches()
        log.info("agent_config_reloaded", evicted=evicted)

    def _drop_caches(self) -> int:
        evicted = self.app_configs.clear() if self.app_configs is not None else 0
        mcp = self.agents.mcp if self.agents is not None else None
        if mcp is not None and hasattr(mcp, "clear"):
            evicted += mcp.clear()
        return evicted

    async def ReloadAgentConfig(self, request: Any, context: Any) -> chat_pb2.ReloadAgentConfigResponse:
        require_principal()
        evicted = self._drop_caches()
        if self.nc is not None:
            await mesh_nats.publish_signal(self.nc, RELOAD_SUBJECT)
            await self.nc.flush()
        return chat_pb2.ReloadAgentConfigResponse(success=True, message=f"configuration reloaded ({evicted} cached)")

    async def _nexent_config(self, principal: Principal) -> tuple[str, dict[str, Any]]:
        if self.app_configs is None:
            return "", {}
        reply = await grpc_client.unary(
            self.app_configs.stub.LoadNexentConfig,
            apps_pb2.LoadNexentConfigRequest(),
            timeout_s=self.app_configs.timeout_s,
            principal=principal,
        )
        return str(reply.app_id), json_format.MessageToDict(reply.config)

    async def _model(self, principal: Principal, config: dict[str, Any]) -> str:
        """Nexent's chosen LLM (models.llm.name) when the registry knows it; else the platform default."""
        name = str(((config.get("models") or {}).get("llm") or {}).get("name") or "")
        if not name or self.generation is None:
            return ""
        try:
            await self.generation.registry.resolve_llm(principal=principal, model_name=name)
        except NotFound:
            log.info("nexent_model_unknown", model=name)
            return ""
        return name

    async def RunAgent(self, request: chat_pb2.RunAgentRequest, context: Any) -> AsyncIterator[chat_pb2.AgentEvent]:
        principal = require_principal()
        if self.generation is None or self.agents is None:
            raise NotFound("agents are not available", reason="agents_unavailable")
        if not request.query.strip():
            raise InvalidArgument("query must not be empty", field="query")
        app_id, config = await self._nexent_config(principal)
        files = {f.file_id: f.name for f in request.minio_files if f.file_id}
        plan = plan_from_nexent_config(config, files=files)
        plan.toolbox = await self.agents.toolbox(principal=principal, plan=plan)
        spec = GenerationSpec(
            query=request.query,
            origin="nexent",
            app_id=app_id,
            conversation_id=request.conversation_id,
            history=[Turn(m.role, m.content) for m in request.history] if request.history else None,
            model=await self._model(principal, config),
            attachments=[
                {"file_id": f.file_id, "name": f.name, "url": f.url, "file_type": 1} for f in request.minio_files
            ],
            agent=plan,
            ephemeral=request.is_debug,
        )
        live = LiveUnits(show_thoughts=plan.strategy == "react")
        async for event in coalesced(self.generation.generate(principal=principal, spec=spec)):
            for kind, content in self._units(event, live):
                yield _unit(event, kind, content)

    def _units(self, event: StreamEvent, live: LiveUnits) -> list[tuple[str, str]]:
        if event.kind == "start":
            return [("agent_new_run", "")]
        if event.kind == "thought" and event.step is not None:
            return live.step(event.step, done=event.step_done)
        if event.kind == "reasoning":
            return [("model_output_thinking", event.text)]
        if event.kind == "text":
            return [live.text(event.text)]
        if event.kind == "resources":
            return [("search_content", search_content(event.resources))]
        if event.kind == "end":
            counts = {
                "prompt_tokens": event.prompt_tokens,
                "completion_tokens": event.completion_tokens,
                "total_tokens": event.prompt_tokens + event.completion_tokens,
                "conversation_id": event.conversation_id,
                "message_id": event.message_id,
                "finish_reason": event.finish_reason,
            }
            return [("token_count", orjson.dumps(counts).decode())]
        if event.kind == "error" and event.error is not None:
            return [("error", event.error.message)]
        return []

    async def GetStockInfo(self, request: chat_pb2.GetStockInfoRequest, context: Any) -> chat_pb2.StockInfo:
        principal = require_principal()
        if self.generation is None or self.agents is None or self.agents.market is None:
            raise NotFound("stock data is not available", reason="stock_provider_unavailable")
        answer = await stock_info(
            principal=principal,
            market=self.agents.market,
            registry=self.generation.registry,
            upstream=self.generation.upstream,
            code=request.stocks_code,
            name=request.stocks_name,
            minimum=request.minimum_value if request.HasField("minimum_value") else None,
            maximum=request.maximum_value if request.HasField("maximum_value") else None,
        )
        return chat_pb2.StockInfo(
            answer=answer.answer, model=answer.model, request_id=current_request_id() or uuid.uuid4().hex
        )

    async def LoadStockData(
        self, request: chat_pb2.LoadStockDataRequest, context: Any
    ) -> chat_pb2.LoadStockDataResponse:
        principal = require_principal()
        if not principal.is_admin:
            raise PermissionDenied("only admins load market data", reason="admin_required")
        if self.agents is None:
            raise NotFound("agents are not available", reason="agents_unavailable")
        texts = {"stocks": request.stocks, "daily_bars": request.bars, "news": request.news}
        if not any(text.strip() for text in texts.values()):
            raise InvalidArgument("give at least one of stocks, bars, news", field="bars")
        settings = self.agents.settings
        try:
            counts = await asyncio.to_thread(load_csv, settings.stock_dataset_path(), texts)
        except DatasetError as error:
            raise InvalidArgument(str(error), reason="bad_stock_data", field=error.field) from None
        log.info("stock_data_loaded", **counts)
        return chat_pb2.LoadStockDataResponse(
            stocks=counts.get("stocks", 0),
            bars=counts.get("daily_bars", 0),
            news=counts.get("news", 0),
            provider=settings.chat_stock_provider,
        )

    async def ListMcpServers(self, request: common_pb2.Empty, context: Any) -> chat_pb2.ListMcpServersResponse:
        principal = require_principal()
        registry = self._mcp()
        return chat_pb2.ListMcpServersResponse(servers=await registry.servers(principal=principal))

    async def RegisterMcpServer(self, request: chat_pb2.RegisterMcpServerRequest, context: Any) -> chat_pb2.McpServer:
        principal = require_principal()
        return await self._mcp().register(
            principal=principal, name=request.name, url=request.url, headers=dict(request.headers)
        )

    async def DeleteMcpServer(self, request: chat_pb2.DeleteMcpServerRequest, context: Any) -> common_pb2.Empty:
        await self._mcp().delete(principal=require_principal(), name=request.name)
        return common_pb2.Empty()

    def _mcp(self) -> Any:
        mcp = self.agents.mcp if self.agents is not None else None
        if mcp is None:
            raise NotFound("MCP tools are not available", reason="mcp_unavailable")
        return mcp
