"""The files service in-process on port 0 (real NATS, real DB, local or s3rver backend), and helpers."""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import pytest_asyncio
from meshconsole.files.v1 import files_pb2, files_pb2_grpc
from nats.aio.client import Client
from nats.js import JetStreamContext

from services.files.app import FilesProcess, build_files
from services.files.config import FilesSettings
from services.files.fetcher import Resolver
from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.nats import connect_nats, drain_nats
from services.kit.testing.credentials import credential_metadata
from services.kit.testing.servers import NatsServer, S3rverServer

ALICE = Principal(user_id=11, company_id=1)
CAROL = Principal(user_id=12, company_id=1)  # Alice's colleague
BOB = Principal(user_id=21, company_id=2)  # another tenant
ACME_KEY = Principal(user_id=11, company_id=1, kind="company_key")


def md(principal: Principal) -> tuple[tuple[str, str], ...]:
    return (("x-request-id", "req-files-" + uuid.uuid4().hex[:8]), *credential_metadata(principal))


@dataclass
class FilesEnv:
    settings: FilesSettings
    process: FilesProcess
    channel: grpc.aio.Channel
    stub: files_pb2_grpc.FilesServiceStub
    nc: Client
    resolver: Resolver | None = None

    @property
    def js(self) -> JetStreamContext:
        return self.nc.jetstream()

    async def stop(self) -> None:
        await self.channel.close()
        await self.process.server.stop(1)
        for hook in self.process.on_shutdown:
            await hook()

    async def restart(self) -> None:
        """Stop the service and build it again on the same DB, bytes and NATS (runs start-up recovery)."""
        await self.stop()
        self.process = await build_files(self.settings, address="127.0.0.1:0", resolver=self.resolver, sweep=False)
        await self.process.server.start()
        self.channel = grpc_client.create_channel(f"127.0.0.1:{self.process.port}")
        self.stub = files_pb2_grpc.FilesServiceStub(self.channel)


def chunks_of(data: bytes, size: int = 64 * 1024) -> Iterable[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def put(
    env: FilesEnv, principal: Principal, data: bytes, name: str = "notes.txt", *, chunk: int = 64 * 1024, **header: Any
) -> files_pb2.ObjectInfo:
    """Upload through the real client-streaming RPC."""

    async def messages() -> AsyncIterator[files_pb2.PutObjectChunk]:
        yield files_pb2.PutObjectChunk(header=files_pb2.PutObjectHeader(name=name, **header))
        for piece in chunks_of(data, chunk):
            yield files_pb2.PutObjectChunk(data=piece)

    reply: files_pb2.ObjectInfo = await env.stub.PutObject(messages(), metadata=md(principal))
    return reply


async def read_all(env: FilesEnv, request: files_pb2.ReadObjectRequest, principal: Principal | None = None) -> bytes:
    metadata = md(principal) if principal else (("x-request-id", "req-anon"),)
    out = bytearray()
    first = True
    async for message in env.stub.ReadObject(request, metadata=metadata):
        if first:
            assert message.WhichOneof("part") == "info"
            first = False
            continue
        out.extend(message.data)
    return bytes(out)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def start_files(
    tmp_path: Path, database_url: str, nats_server: NatsServer, *, resolver: Resolver | None = None, **overrides: Any
) -> FilesEnv:
    settings = FilesSettings(
        data_dir=tmp_path,
        database_url=database_url,
        nats_url=nats_server.url,
        secret_key="files-test-secret-" + uuid.uuid4().hex,
        **overrides,
    )
    process = await build_files(settings, address="127.0.0.1:0", resolver=resolver, sweep=False)
    await process.server.start()
    channel = grpc_client.create_channel(f"127.0.0.1:{process.port}")
    nc = await connect_nats(url=nats_server.url, name="files-test")
    return FilesEnv(settings, process, channel, files_pb2_grpc.FilesServiceStub(channel), nc, resolver)


async def stop_files(env: FilesEnv) -> None:
    await env.stop()
    # The session NATS is shared: leave no stream behind whose subjects could overlap another test's.
    for name in ("MESH_TASKS", "MESH_EVENTS"):
        with contextlib.suppress(Exception):
            await env.js.delete_stream(name)
    await drain_nats(env.nc)


@pytest.fixture(params=["local", "s3"], name="files_backend")
def files_backend_fixture(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_asyncio.fixture(loop_scope="session", name="files")
async def files_fixture(database_url: str, tmp_path: Path, nats_server: NatsServer) -> AsyncIterator[FilesEnv]:
    """The files service on the local backend, over SQLite and PostgreSQL."""
    env = await start_files(tmp_path, database_url, nats_server, files_max_upload_mb=2, files_max_image_mb=1)
    try:
        yield env
    finally:
        await stop_files(env)


@pytest_asyncio.fixture(loop_scope="session", name="files_any_backend")
async def files_any_backend_fixture(
    files_backend: str, tmp_path: Path, nats_server: NatsServer, request: pytest.FixtureRequest
) -> AsyncIterator[FilesEnv]:
    """The files service on SQLite, on the local backend and on s3rver (a fresh bucket each time)."""
    overrides: dict[str, Any] = {"files_max_upload_mb": 20}
    if files_backend == "s3":
        s3: S3rverServer = request.getfixturevalue("s3_server")
        overrides |= {
            "files_backend": "s3",
            "files_s3_endpoint": s3.endpoint,
            "files_s3_access_key": s3.access_key,
            "files_s3_secret_key": s3.secret_key,
            "files_s3_bucket": f"svc-{uuid.uuid4().hex[:12]}",
            "files_s3_part_mb": 5,
        }
    env = await start_files(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'files.db'}", nats_server, **overrides)
    try:
        yield env
    finally:
        await stop_files(env)
