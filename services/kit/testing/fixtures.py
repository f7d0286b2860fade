"""Pytest plugin: real NATS, Valkey, PostgreSQL and S3 (s3rver) servers per session, clean clients per test, and
the test keys of the mesh credential installed for the session."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from nats.aio.client import Client
from redis.asyncio import Redis

from services.kit import mesh_tokens
from services.kit.embedded import NatsServer, ValkeyServer
from services.kit.mesh_tokens import MeshSecurity
from services.kit.nats import connect_nats, drain_nats
from services.kit.redis import create_redis
from services.kit.testing.credentials import security_for_tests
from services.kit.testing.servers import PostgresServer, S3rverServer


@pytest.fixture(scope="session", autouse=True)
def mesh_security() -> Iterator[MeshSecurity]:
    """In-process services and their channels use the test keys (services.kit.testing.credentials)."""
    security = security_for_tests()
    previous = mesh_tokens.install(security)
    yield security
    mesh_tokens.install(previous)


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """nats-server with JetStream, on a free loopback port, for the whole session."""
    with NatsServer(tmp_path_factory.mktemp("nats")) as server:
        yield server


@pytest.fixture(scope="session")
def valkey_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ValkeyServer]:
    """valkey-server on a free loopback port, for the whole session."""
    with ValkeyServer(tmp_path_factory.mktemp("valkey")) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """PostgreSQL on a free loopback port (run as an unprivileged user under root), for the whole session."""
    # Not under tmp_path_factory: every pytest start strips o+x from /tmp/pytest-of-<user>, so a
    # concurrent run would lock the unprivileged postgres user out of its own data dir.
    with tempfile.TemporaryDirectory(prefix="mesh-pg-") as tmp, PostgresServer(tmp) as server:
        yield server


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3rverServer]:
    """s3rver (npm, installed into tools/node/ by make) on a free loopback port; fails loudly when missing."""
    with S3rverServer(tmp_path_factory.mktemp("s3rver")) as server:
        yield server


@pytest_asyncio.fixture(loop_scope="session")
async def nats_client(nats_server: NatsServer) -> AsyncIterator[Client]:
    """A connected client; every JetStream stream is deleted afterwards so tests never see each other's."""
    nc = await connect_nats(url=nats_server.url, name="pytest")
    try:
        yield nc
    finally:
        js = nc.jetstream()
        for info in await js.streams_info():
            if info.config.name:
                await js.delete_stream(info.config.name)
        await drain_nats(nc)


@pytest_asyncio.fixture(loop_scope="session")
async def redis_client(valkey_server: ValkeyServer) -> AsyncIterator[Redis]:
    """A client on the session's Valkey; the database is flushed afterwards."""
    client = create_redis(url=valkey_server.url)
    try:
        yield client
    finally:
        await client.flushdb()
        await client.aclose()


@pytest_asyncio.fixture(loop_scope="session")
async def postgres_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """A SQLAlchemy asyncpg URL to a fresh, empty database that is dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    url = await postgres_server.create_database(name)
    try:
        yield url
    finally:
        await postgres_server.drop_database(name)
