"""Assembles the identity process: DB, Redis, NATS, domain service and gRPC server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import grpc
import structlog
from meshconsole.identity.v1 import identity_pb2, identity_pb2_grpc

from services.identity.config import IdentitySettings
from services.identity.events import IdentityEvents
from services.identity.migrations import MIGRATIONS
from services.identity.server import IdentityServicer
from services.identity.service import IdentityService
from services.identity.store import IdentityStore
from services.kit import nats as mesh_nats
from services.kit.crypto import SecretBox
from services.kit.db import create_engine, create_session_factory, migrate
from services.kit.grpc_server import HealthRegistry, ServiceBinding, create_server
from services.kit.redis import RateLimiter, create_redis

log = structlog.get_logger(__name__)
SERVICE_NAME = identity_pb2.DESCRIPTOR.services_by_name["IdentityService"].full_name


@dataclass
class IdentityProcess:
    server: grpc.aio.Server
    port: int
    health: HealthRegistry
    service: IdentityService
    on_shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


async def build_identity(settings: IdentitySettings, *, address: str) -> IdentityProcess:
    """Migrate the store, bootstrap the admin and signing key, and return an unstarted server."""
    engine = create_engine(settings.database_url_for("identity"))
    await migrate(engine, service="identity", migrations=MIGRATIONS)
    redis = create_redis(url=settings.redis_url)
    nc = await mesh_nats.connect_nats(url=settings.nats_url, name="identity")
    await mesh_nats.ensure_events_stream(nc.jetstream())
    service = IdentityService(
        settings=settings,
        store=IdentityStore(create_session_factory(engine)),
        limiter=RateLimiter(redis),
        secret_box=SecretBox(settings.resolved_secret_key(), purpose="identity-signing-key"),
        events=IdentityEvents(nc),
    )
    await service.ensure_signing_key()
    generated = await service.bootstrap_admin()
    if generated:
        log.warning(
            "admin_password_generated",
            account=settings.admin_account,
            stored_in=str(settings.data_dir / "admin_password"),
        )

    health = HealthRegistry()
    servicer = IdentityServicer(service, timezone=settings.timezone)
    server, port = create_server(
        address,
        bindings=[ServiceBinding(SERVICE_NAME, identity_pb2_grpc.add_IdentityServiceServicer_to_server, servicer)],
        health=health,
    )

    async def close() -> None:
        await mesh_nats.drain_nats(nc)
        await redis.aclose()
        await engine.dispose()

    return IdentityProcess(server=server, port=port, health=health, service=service, on_shutdown=[close])
