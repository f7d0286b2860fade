"""Assembles the meetings process: DB, NATS (job consumer, dead letters, outbox relay), idle sweep, gRPC server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import grpc
import structlog
from meshconsole.meetings.v1 import meetings_pb2, meetings_pb2_grpc
from nats.aio.client import Client

from services.kit import nats as mesh_nats
from services.kit.db import create_engine, create_session_factory, migrate
from services.kit.grpc_server import HealthRegistry, ServiceBinding, create_server
from services.meetings.config import MeetingsSettings
from services.meetings.idle import IdleSweeper
from services.meetings.migrations import MIGRATIONS
from services.meetings.outbox import meetings_outbox
from services.meetings.peers import Peers
from services.meetings.progress import Progress
from services.meetings.server import MeetingsServicer
from services.meetings.service import MeetingsService
from services.meetings.store import PROCESS_SUBJECT, MeetingStore
from services.meetings.worker import MeetingWorker

log = structlog.get_logger(__name__)
SERVICE_NAME = meetings_pb2.DESCRIPTOR.services_by_name["MeetingsService"].full_name
PROCESS_DURABLE = "meetings_process"
PROCESS_DLQ = f"{mesh_nats.DLQ_PREFIX}{mesh_nats.TASKS_STREAM}.{PROCESS_DURABLE}"


@dataclass
class MeetingsProcess:
    server: grpc.aio.Server
    port: int
    health: HealthRegistry
    meetings: MeetingsService
    sweeper: IdleSweeper
    nats: Client
    consumers: list[mesh_nats.WorkQueueConsumer]
    on_shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


async def build_meetings(
    settings: MeetingsSettings, *, address: str, consume: bool = True, sweep: bool = True
) -> MeetingsProcess:
    """Migrate, connect NATS, start the consumers, the outbox relay and the idle sweep; returns an unstarted server."""
    engine = create_engine(settings.database_url_for("meetings"))
    await migrate(engine, service="meetings", migrations=MIGRATIONS)
    sessions = create_session_factory(engine)
    store, progress = MeetingStore(sessions), Progress(sessions)
    nc = await mesh_nats.connect_nats(url=settings.nats_url, name="meetings")
    js = nc.jetstream()
    await mesh_nats.ensure_tasks_stream(js)
    await mesh_nats.ensure_events_stream(js)
    await mesh_nats.ensure_dlq_stream(js)
    peers = Peers(
        files_addr=settings.files_addr,
        voice_addr=settings.voice_addr,
        chat_addr=settings.chat_addr,
        deadline_s=settings.grpc_deadline_s,
    )
    outbox = meetings_outbox(progress, js, interval_s=settings.meetings_outbox_interval_s)
    meetings = MeetingsService(settings=settings, store=store, peers=peers, outbox=outbox)
    worker = MeetingWorker(settings=settings, progress=progress, peers=peers, outbox=outbox)
    sweeper = IdleSweeper(
        store=store,
        outbox=outbox,
        timeout_s=settings.meetings_idle_timeout_s,
        interval_s=settings.meetings_idle_sweep_interval_s,
    )
    consumers = [
        mesh_nats.WorkQueueConsumer(
            js,
            stream=mesh_nats.TASKS_STREAM,
            subject=PROCESS_SUBJECT,
            durable=PROCESS_DURABLE,
            handler=worker.process,
            concurrency=settings.meetings_workers,
            max_deliver=settings.meetings_max_deliver,
            backoff=settings.meetings_backoff_s,
            ack_wait=settings.meetings_ack_wait_s,
            handler_timeout_s=settings.meetings_job_timeout_s,
        ),
        mesh_nats.WorkQueueConsumer(
            js,
            stream=mesh_nats.DLQ_STREAM,
            subject=PROCESS_DLQ,
            durable="meetings_process_dlq",
            handler=worker.dead_letter,
        ),
    ]
    await outbox.flush()
    outbox.start()
    if consume:
        for consumer in consumers:
            await consumer.setup()
            consumer.start()
    if sweep:
        sweeper.start()
    health = HealthRegistry()
    binding = ServiceBinding(
        SERVICE_NAME, meetings_pb2_grpc.add_MeetingsServiceServicer_to_server, MeetingsServicer(meetings)
    )
    server, port = create_server(address, bindings=[binding], health=health)

    async def close() -> None:
        await sweeper.stop()
        for consumer in consumers:
            await consumer.stop(grace_s=settings.shutdown_grace_s)
        await outbox.stop()
        await mesh_nats.drain_nats(nc)
        await peers.close()
        await engine.dispose()

    log.info("meetings_ready", idle_timeout_s=settings.meetings_idle_timeout_s)
    return MeetingsProcess(
        server=server,
        port=port,
        health=health,
        meetings=meetings,
        sweeper=sweeper,
        nats=nc,
        consumers=consumers if consume else [],
        on_shutdown=[close],
    )
