"""Assembles the apps process: DB, NATS (events, outbox relay, cache invalidation), domain services, gRPC server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
import orjson
import structlog
from meshconsole.apps.v1 import apps_pb2, apps_pb2_grpc
from nats.aio.client import Client

from services.apps.cache import ConfigCache
from services.apps.config import AppsSettings
from services.apps.migrations import MIGRATIONS
from services.apps.mini_programs import MiniProgramService
from services.apps.nexent import NexentService
from services.apps.outbox import event_outbox
from services.apps.server import AppsServicer
from services.apps.service import AppsService
from services.apps.session_store import NexentStore, SessionStore
from services.apps.store import AppStore
from services.kit import nats as mesh_nats
from services.kit.crypto import SecretBox
from services.kit.db import create_engine, create_session_factory, migrate
from services.kit.grpc_server import HealthRegistry, ServiceBinding, create_server

log = structlog.get_logger(__name__)
SERVICE_NAME = apps_pb2.DESCRIPTOR.services_by_name["AppsService"].full_name
# Every apps event names an app; any replica's change drops that app from every replica's cache.
INVALIDATE_SUBJECT = mesh_nats.EVENTS_PREFIX + "apps.>"


@dataclass
class AppsProcess:
    server: grpc.aio.Server
    port: int
    health: HealthRegistry
    apps: AppsService
    programs: MiniProgramService
    nexent: NexentService
    nats: Client
    on_shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


async def build_apps(settings: AppsSettings, *, address: str) -> AppsProcess:
    """Migrate the store, connect NATS, start the outbox relay, and return an unstarted server."""
    engine = create_engine(settings.database_url_for("apps"))
    await migrate(engine, service="apps", migrations=MIGRATIONS)
    sessions = create_session_factory(engine)
    nc = await mesh_nats.connect_nats(url=settings.nats_url, name="apps")
    js = nc.jetstream()
    await mesh_nats.ensure_events_stream(js)
    store = AppStore(sessions)
    session_store = SessionStore(sessions, store)
    cache = ConfigCache(size=settings.apps_config_cache_size, ttl_s=settings.apps_config_cache_ttl_s)
    outbox = event_outbox(store, js, interval_s=settings.apps_outbox_interval_s)

    async def on_event(msg: Any) -> None:
        try:
            cache.drop(str(orjson.loads(msg.data)["app_id"]))
        except (ValueError, KeyError, TypeError):
            log.warning("bad_apps_event", subject=msg.subject)

    await mesh_nats.subscribe_traced(nc, INVALIDATE_SUBJECT, on_event, consumer="apps-cache")
    apps = AppsService(store=store, sessions=session_store, cache=cache, outbox=outbox)
    programs = MiniProgramService(store=store, sessions=session_store, cache=cache, outbox=outbox)
    nexent = NexentService(
        store=store,
        configs=NexentStore(sessions, store),
        box=SecretBox(settings.resolved_secret_key(), purpose="apps-config"),
        cache=cache,
        outbox=outbox,
    )
    await outbox.flush()
    outbox.start()
    health = HealthRegistry()
    servicer = AppsServicer(apps, programs, nexent)
    server, port = create_server(
        address,
        bindings=[ServiceBinding(SERVICE_NAME, apps_pb2_grpc.add_AppsServiceServicer_to_server, servicer)],
        health=health,
    )

    async def close() -> None:
        await outbox.stop()
        await mesh_nats.drain_nats(nc)
        await engine.dispose()

    return AppsProcess(
        server=server,
        port=port,
        health=health,
        apps=apps,
        programs=programs,
        nexent=nexent,
        nats=nc,
        on_shutdown=[close],
    )
