"""Builds the FastAPI gateway: dialect routers, auth, error mapping, middleware and lifecycle."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
import structlog
from fastapi import FastAPI

from gateway import dialects
from gateway.auth import Authenticator
from gateway.clients import ServiceClients
from gateway.config import GatewaySettings
from gateway.dialects import dify, lbai, nexent, nextconsole
from gateway.dialects.admin import routes as admin
from gateway.dialects.dify import envelope as dify_envelope
from gateway.dialects.lbai import envelope as lbai_envelope
from gateway.dialects.nexent import envelope as nexent_envelope
from gateway.dialects.nextconsole import envelope as nextconsole_envelope
from gateway.errors import ErrorMapper, install_error_handlers
from gateway.middleware import RequestContextMiddleware
from services.kit import nats as mesh_nats
from services.kit.errors import MeshError
from services.kit.redis import create_redis

log = structlog.get_logger(__name__)


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

        async def on_revoked(msg: Any) -> None:
            try:
                payload = orjson.loads(msg.data)
                await authenticator.forget_key(str(payload["key_hash"]))
            except (ValueError, KeyError, TypeError):
                log.warning("bad_revocation_event")

        await nc.subscribe("mesh.events.apikeys.revoked", cb=on_revoked)
        log.info("gateway_started", host=settings.host, port=settings.port)
        try:
            yield
        finally:
            await mesh_nats.drain_nats(nc)
            await clients.close()
            await redis.aclose()

    app = FastAPI(
        title="MeshConsole gateway",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    mapper = ErrorMapper()
    for envelope in (nextconsole_envelope, dify_envelope, nexent_envelope, lbai_envelope, admin):
        mapper.register(envelope.DIALECT)
    install_error_handlers(app, mapper)
    app.include_router(admin.probes)
    app.include_router(admin.router)
    dialects.load_route_modules()
    for dialect in (nextconsole, dify, nexent, lbai):
        for router in dialect.ROUTERS:
            app.include_router(router)
    app.add_middleware(RequestContextMiddleware)
    return app
