"""Assembles the files process: DB, object backend, NATS streams, recovery sweep and the gRPC server."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import grpc
import structlog
from meshconsole.files.v1 import files_pb2, files_pb2_grpc

from services.files.adapters.base import ObjectBackend
from services.files.adapters.local import LocalBackend
from services.files.adapters.s3 import S3Backend
from services.files.bus import NatsBus
from services.files.config import MB, FilesSettings
from services.files.deletion import Deleter
from services.files.extract import TextExtractor
from services.files.fetcher import Resolver, SafeFetcher
from services.files.migrations import MIGRATIONS
from services.files.server import FilesServicer
from services.files.service import FilesService
from services.files.signing import UrlSigner
from services.files.store import FilesStore
from services.files.transcripts import Transcripts
from services.files.uploads import Uploader
from services.kit import nats as mesh_nats
from services.kit.db import create_engine, create_session_factory, migrate
from services.kit.grpc_server import HealthRegistry, ServiceBinding, create_server
from services.kit.periodic import Periodic

log = structlog.get_logger(__name__)
SERVICE_NAME = files_pb2.DESCRIPTOR.services_by_name["FilesService"].full_name


@dataclass
class FilesProcess:
    server: grpc.aio.Server
    port: int
    health: HealthRegistry
    service: FilesService
    on_shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


def build_backend(settings: FilesSettings, signer: UrlSigner) -> ObjectBackend:
    """The configured object backend (not yet checked for readiness)."""
    if settings.files_backend == "s3":
        return S3Backend(
            endpoint=settings.files_s3_endpoint,
            bucket=settings.files_s3_bucket,
            access_key=settings.files_s3_access_key,
            secret_key=settings.files_s3_secret_key,
            region=settings.files_s3_region,
            secure=settings.files_s3_secure,
            public_endpoint=settings.files_s3_public_endpoint,
            public_secure=settings.files_s3_public_secure,
            part_size=settings.files_s3_part_mb * MB,
        )
    return LocalBackend(settings.local_root(), signer=signer, default_public_base_url=settings.files_public_base_url)


async def build_files(
    settings: FilesSettings, *, address: str, resolver: Resolver | None = None, sweep: bool = True
) -> FilesProcess:
    """Migrate, make the backend and streams ready, finish interrupted deletes; returns an unstarted server."""
    engine = create_engine(settings.database_url_for("files"))
    await migrate(engine, service="files", migrations=MIGRATIONS)
    signer = UrlSigner(settings.resolved_secret_key())
    backend = build_backend(settings, signer)
    await backend.ensure_ready()
    nc = await mesh_nats.connect_nats(url=settings.nats_url, name="files")
    bus = NatsBus(nc.jetstream())
    await bus.ensure_streams()
    store = FilesStore(create_session_factory(engine))
    deleter = Deleter(store=store, backend=backend, bus=bus)
    service = FilesService(
        settings=settings,
        store=store,
        backend=backend,
        uploader=Uploader(settings=settings, store=store, backend=backend, bus=bus, deleter=deleter),
        deleter=deleter,
        signer=signer,
        fetcher=SafeFetcher(
            timeout_s=settings.files_fetch_timeout_s,
            max_redirects=settings.files_fetch_max_redirects,
            allow_networks=settings.files_fetch_allow_networks,
            resolver=resolver,
        ),
        extractor=TextExtractor(timeout_s=settings.files_extract_timeout_s),
        transcripts=Transcripts(store=store, bus=bus),
    )
    recovered = await deleter.recover(stale_upload_s=settings.files_stale_upload_s)
    if recovered:
        log.warning("recovered_interrupted_objects", count=recovered)
    # Tombstones younger than one interval are left to the deleter that wrote them.
    interval_s = settings.files_sweep_interval_s
    sweeper = Periodic(
        functools.partial(deleter.recover, stale_upload_s=settings.files_stale_upload_s, tombstone_grace_s=interval_s),
        interval_s=interval_s,
        name="files-sweep",
        failure_event="sweep_failed",
    )
    if sweep:
        sweeper.start()
    health = HealthRegistry()
    server, port = create_server(
        address,
        bindings=[
            ServiceBinding(SERVICE_NAME, files_pb2_grpc.add_FilesServiceServicer_to_server, FilesServicer(service))
        ],
        health=health,
    )

    async def close() -> None:
        await sweeper.stop()
        await mesh_nats.drain_nats(nc)
        await backend.close()
        await engine.dispose()

    log.info("files_ready", backend=backend.name)
    return FilesProcess(server=server, port=port, health=health, service=service, on_shutdown=[close])
