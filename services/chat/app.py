"""Assembles the chat process: DB, NATS (stop control, app events), apps client, upstreams, gRPC server."""

from __future__ import annotations

from typing import Any

import structlog
from meshconsole.apps.v1 import apps_pb2_grpc
from meshconsole.chat.v1 import chat_pb2, chat_pb2_grpc
from meshconsole.files.v1 import files_pb2_grpc
from meshconsole.retrieval.v1 import retrieval_pb2_grpc
from meshconsole.voice.v1 import voice_pb2_grpc

from services.chat.agents.mcp_client import McpConnector
from services.chat.agents.mcp_tools import McpRegistry
from services.chat.agents.runtime import AgentRuntime
from services.chat.agents.servicer import AgentServicer
from services.chat.agents.settings import AgentSettings
from services.chat.agents.stocks.market import market_data
from services.chat.app_config import AppConfigReader
from services.chat.config import ChatSettings
from services.chat.conversations.messages import MessageService
from services.chat.conversations.service import ConversationService
from services.chat.conversations.servicer import ConversationServicer
from services.chat.generation.core import GenerationService
from services.chat.generation.knowledge import KnowledgeReader
from services.chat.generation.lbai import LbaiChat
from services.chat.generation.servicer import GenerationServicer
from services.chat.generation.upstream import UpstreamClients
from services.chat.insights.service import InsightsService
from services.chat.insights.servicer import InsightsServicer
from services.chat.migrations import MIGRATIONS
from services.chat.models.registry import ModelRegistry
from services.chat.models.servicer import ModelRegistryServicer
from services.chat.recovery import answer_running_queries, recover_interrupted
from services.chat.store import ChatStore, delete_app_conversations
from services.chat.tasks import TaskRegistry
from services.kit import nats as mesh_nats
from services.kit.clock import utcnow
from services.kit.crypto import SecretBox
from services.kit.db import create_engine, create_session_factory, migrate
from services.kit.grpc_client import create_channel
from services.kit.grpc_server import HealthRegistry, ServiceBinding, create_server
from services.kit.service_main import ServiceProcess

log = structlog.get_logger(__name__)


async def build_chat(settings: ChatSettings, *, address: str) -> tuple[ServiceProcess, GenerationService]:
    """Migrate, register the default provider, wire NATS and peers, recover interrupted answers, return the server."""
    booted_at = utcnow()
    engine = create_engine(settings.database_url_for("chat"))
    await migrate(engine, service="chat", migrations=MIGRATIONS)
    sessions = create_session_factory(engine)
    store = ChatStore(sessions)
    registry = ModelRegistry(
        sessions=sessions, settings=settings, box=SecretBox(settings.resolved_secret_key(), purpose="chat-models")
    )
    await registry.sync_platform_default()
    nc = await mesh_nats.connect_nats(url=settings.nats_url, name="chat")
    js = nc.jetstream()
    await mesh_nats.ensure_events_stream(js)
    tasks = TaskRegistry()
    await tasks.attach(nc)
    await answer_running_queries(nc, tasks)
    await recover_interrupted(store, nc, booted_at=booted_at)
    apps_channel = create_channel(settings.service_addr("apps"))
    app_configs = AppConfigReader(
        stub=apps_pb2_grpc.AppsServiceStub(apps_channel),
        ttl_s=settings.chat_app_config_cache_s,
        timeout_s=settings.grpc_deadline_s,
    )
    await app_configs.attach(nc)
    retrieval_channel = create_channel(settings.service_addr("retrieval"))
    knowledge = KnowledgeReader(
        stub=retrieval_pb2_grpc.RetrievalServiceStub(retrieval_channel), timeout_s=settings.grpc_deadline_s
    )
    upstream = UpstreamClients(
        timeout_s=settings.chat_upstream_timeout_s,
        connect_timeout_s=settings.chat_upstream_connect_timeout_s,
        policy=settings.model_endpoint_policy(),
        max_connections=settings.chat_upstream_max_connections,
    )
    files_channel = create_channel(settings.service_addr("files"))
    agent_settings = AgentSettings()
    agents = AgentRuntime(
        settings=agent_settings,
        upstream=upstream,
        retrieval=knowledge.stub,
        files=files_pb2_grpc.FilesServiceStub(files_channel),
        market=market_data(agent_settings),
        mcp=McpRegistry(
            sessions=sessions,
            box=SecretBox(settings.resolved_secret_key(), purpose="chat-mcp"),
            connector=McpConnector(policy=agent_settings.mcp_policy(), timeout_s=agent_settings.chat_mcp_timeout_s),
            ttl_s=settings.chat_app_config_cache_s,
        ),
        timeout_s=settings.grpc_deadline_s,
    )
    generation = GenerationService(
        settings=settings,
        store=store,
        registry=registry,
        upstream=upstream,
        tasks=tasks,
        app_configs=app_configs,
        knowledge=knowledge,
        agents=agents,
    )

    async def on_app_deleted(task: Any) -> None:
        payload = task.payload
        removed = await delete_app_conversations(
            store, app_id=str(payload["app_id"]), company_id=int(payload.get("company_id", 0))
        )
        log.info("app_conversations_deleted", app_id=payload["app_id"], conversations=removed)

    app_deleted = mesh_nats.WorkQueueConsumer(
        js,
        stream=mesh_nats.EVENTS_STREAM,
        subject="mesh.events.apps.deleted",
        durable="chat-apps-deleted",
        handler=on_app_deleted,
    )
    await app_deleted.setup()
    app_deleted.start()

    health = HealthRegistry()
    domain: dict[str, Any] = {
        "store": store,
        "registry": registry,
        "upstream": upstream,
        "app_configs": app_configs,
        "settings": settings,
    }
    insights = InsightsService(**domain)
    voice_channel = create_channel(settings.service_addr("voice"))
    lbai = LbaiChat(
        generation=generation,
        apps=app_configs.stub,
        voice=voice_pb2_grpc.VoiceServiceStub(voice_channel),
        timeout_s=settings.grpc_deadline_s,
        transcribe_timeout_s=settings.chat_transcribe_timeout_s,
    )
    agent_servicer = AgentServicer(app_configs=app_configs, generation=generation, agents=agents, nc=nc)
    await agent_servicer.attach()
    servicers = {
        "GenerationService": GenerationServicer(generation=generation, lbai=lbai),
        "AgentService": agent_servicer,
        "ConversationService": ConversationServicer(
            conversations=ConversationService(**domain), messages=MessageService(**domain), insights=insights
        ),
        "InsightsService": InsightsServicer(insights=insights),
        "ModelRegistryService": ModelRegistryServicer(registry=registry, upstream=upstream, settings=settings),
    }
    server, port = create_server(
        address,
        bindings=[
            ServiceBinding(
                chat_pb2.DESCRIPTOR.services_by_name[name].full_name,
                getattr(chat_pb2_grpc, f"add_{name}Servicer_to_server"),
                servicer,
            )
            for name, servicer in servicers.items()
        ],
        health=health,
    )

    async def close() -> None:
        await app_deleted.stop()
        await mesh_nats.drain_nats(nc)
        await generation.writer.close()  # the group commit's last batch, before the engine goes
        await upstream.close()
        await apps_channel.close()
        await retrieval_channel.close()
        await files_channel.close()
        await voice_channel.close()
        await engine.dispose()

    return ServiceProcess(server=server, port=port, health=health, on_shutdown=[close]), generation
