"""Builds the FastAPI gateway: dialect routers, auth, error mapping, middleware and lifecycle."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import structlog
from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from gateway import streaming
from gateway.auth import Authenticator
from gateway.clients import ServiceClients
from gateway.config import GatewaySettings
from gateway.dialects.admin import queues as admin_queues
from gateway.dialects.admin import routes as admin
from gateway.dialects.dify import app_config as dify_app_config
from gateway.dialects.dify import apps as dify_apps
from gateway.dialects.dify import conversation_messages as dify_conversation_messages
from gateway.dialects.dify import conversations as dify_conversations
from gateway.dialects.dify import envelope as dify_envelope
from gateway.dialects.dify import feedback as dify_feedback
from gateway.dialects.dify import messages as dify_messages
from gateway.dialects.dify import statistics as dify_statistics
from gateway.dialects.lbai import chat as lbai_chat
from gateway.dialects.lbai import cloud_space as lbai_cloud_space
from gateway.dialects.lbai import envelope as lbai_envelope
from gateway.dialects.lbai import meetings as lbai_meetings
from gateway.dialects.lbai import mini_programs as lbai_mini_programs
from gateway.dialects.lbai import stock as lbai_stock
from gateway.dialects.lbai import training as lbai_training
from gateway.dialects.lbai import voice as lbai_voice
from gateway.dialects.nexent import agent as nexent_agent
from gateway.dialects.nexent import config as nexent_config
from gateway.dialects.nexent import conversations as nexent_conversations
from gateway.dialects.nexent import envelope as nexent_envelope
from gateway.dialects.nexent import files as nexent_files
from gateway.dialects.nexent import indices as nexent_indices
from gateway.dialects.nexent import mcp as nexent_mcp
from gateway.dialects.nexent import models as nexent_models
from gateway.dialects.nexent import preprocess as nexent_preprocess
from gateway.dialects.nexent import proxy as nexent_proxy
from gateway.dialects.nexent import tasks as nexent_tasks
from gateway.dialects.nexent import voice_stt as nexent_voice_stt
from gateway.dialects.nexent import voice_tts as nexent_voice_tts
from gateway.dialects.nextconsole import app_run as nextconsole_app_run
from gateway.dialects.nextconsole import downloads as nextconsole_downloads
from gateway.dialects.nextconsole import envelope as nextconsole_envelope
from gateway.dialects.nextconsole import resource_search as nextconsole_resource_search
from gateway.dialects.nextconsole import resources as nextconsole_resources
from gateway.dialects.nextconsole import users as nextconsole_users
from gateway.errors import ErrorMapper, install_error_handlers
from gateway.limits import EdgeLimits
from gateway.middleware import RequestContextMiddleware
from gateway.openapi import install_openapi
from services.kit import nats as mesh_nats
from services.kit.errors import MeshError
from services.kit.redis import create_redis
from services.kit.tracing import tracing_enabled

log = structlog.get_logger(__name__)
# Every dialect route module, in the order FastAPI matches them.
DIALECT_ROUTERS = (
    # NextConsole
    nextconsole_users.router,
    nextconsole_app_run.router,
    nextconsole_resource_search.router,
    nextconsole_resources.router,
    nextconsole_downloads.router,
    # Dify console
    dify_apps.router,
    dify_app_config.router,
    dify_conversation_messages.router,
    dify_conversations.router,
    dify_feedback.router,
    dify_messages.router,
    dify_statistics.router,
    # Nexent
    nexent_agent.router,
    nexent_mcp.router,
    nexent_config.router,
    nexent_conversations.router,
    nexent_files.router,
    nexent_indices.router,
    nexent_models.router,
    nexent_preprocess.router,
    nexent_proxy.router,
    nexent_tasks.router,
    nexent_voice_stt.router,
    nexent_voice_tts.router,
    # lbai
    lbai_chat.router,
    lbai_stock.router,
    lbai_cloud_space.router,
    lbai_meetings.router,
    lbai_mini_programs.router,
    lbai_training.router,
    lbai_voice.router,
)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """The gateway application; services are reached through the addresses in settings."""
    settings = settings or GatewaySettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        clients = ServiceClients(settings)
        redis = create_redis(url=settings.redis_url)
        authenticator = Authenticator(clients=clients, redis=redis, key_cache_s=settings.gateway_api_key_cache_s)
        app.state.clients = clients
        app.state.redis = redis
        app.state.authenticator = authenticator
        try:
            await authenticator.refresh_signing_keys()
        except MeshError:
            log.warning("signing_keys_unavailable_at_start")
        nc = await mesh_nats.connect_nats(url=settings.nats_url, name="gateway")
        app.state.nats = nc
        # Revocation events, and the revocation list loaded now and re-read every few seconds.
        await authenticator.start(nc)
        log.info("gateway_started", host=settings.host, port=settings.port)
        try:
            yield
        finally:
            await authenticator.stop()
            await mesh_nats.drain_nats(nc)
            await clients.close()
            await redis.aclose()

    app = FastAPI(
        title="MeshConsole gateway",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    streaming.STREAM_SLOTS.limit = settings.gateway_max_streams
    mapper = ErrorMapper()
    for envelope in (nextconsole_envelope, dify_envelope, nexent_envelope, lbai_envelope, admin):
        mapper.register(envelope.DIALECT)
    install_error_handlers(app, mapper)
    app.include_router(admin.probes)
    app.include_router(admin.router)
    app.include_router(admin_queues.router)
    for router in DIALECT_ROUTERS:
        app.include_router(router)
    install_openapi(app)
    # Body size, strict JSON and parameter checks run before routing and authentication, inside the request id.
    app.add_middleware(EdgeLimits, openapi=lambda: app.openapi(), mapper=mapper, settings=settings)
    app.add_middleware(RequestContextMiddleware)
    if tracing_enabled():
        # One SERVER span per request; none per ASGI message, which a long stream would multiply.
        FastAPIInstrumentor.instrument_app(
            app, exclude_spans=["receive", "send"], excluded_urls="/healthz,/readyz,/metrics"
        )
    return app
