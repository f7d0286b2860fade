"""Fixtures that run a service in-process on port 0 against real NATS, Valkey and a real database."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import grpc
import pytest
import pytest_asyncio

from services.apps.app import AppsProcess, build_apps
from services.apps.config import AppsSettings
from services.identity.app import IdentityProcess, build_identity
from services.identity.config import IdentitySettings
from services.kit import grpc_client
from services.kit.grpc_server import HealthRegistry
from services.kit.redis import create_redis
from services.kit.testing.servers import NatsServer, PostgresServer, ValkeyServer

ADMIN_ACCOUNT = "root@mesh.test"
ADMIN_PASSWORD = "root-password-1"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextlib.asynccontextmanager
async def fresh_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, *, name: str
) -> AsyncIterator[str]:
    """A new database of the given kind: an SQLite file, or a PostgreSQL database dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    database = f"{name}_{uuid.uuid4().hex[:12]}"
    url = await server.create_database(database)
    try:
        yield url
    finally:
        await server.drop_database(database)


@contextlib.asynccontextmanager
async def serving(
    server: grpc.aio.Server, port: int, health: HealthRegistry, on_shutdown: list[Callable[[], Awaitable[None]]]
) -> AsyncIterator[grpc.aio.Channel]:
    """Start an in-process service, yield a channel to it, then stop it and run its shutdown hooks."""
    await server.start()
    await health.set_all(serving=True)
    channel = grpc_client.create_channel(f"127.0.0.1:{port}")
    try:
        yield channel
    finally:
        await channel.close()
        await server.stop(1)
        for hook in on_shutdown:
            await hook()


@pytest_asyncio.fixture(loop_scope="session")
async def database_url(database_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A fresh database of the requested kind: SQLite file or a new PostgreSQL database."""
    async with fresh_database(database_backend, tmp_path, request, name="svc") as url:
        yield url


@pytest_asyncio.fixture(loop_scope="session")
async def identity(
    database_url: str, tmp_path: Path, nats_server: NatsServer, valkey_server: ValkeyServer
) -> AsyncIterator[tuple[IdentityProcess, grpc.aio.Channel]]:
    """Identity serving on an ephemeral port, with a channel to it."""
    settings = IdentitySettings(
        data_dir=tmp_path,
        database_url=database_url,
        nats_url=nats_server.url,
        redis_url=valkey_server.url,
        secret_key="test-secret-" + uuid.uuid4().hex,
        admin_account=ADMIN_ACCOUNT,
        admin_password=ADMIN_PASSWORD,
        identity_login_fail_limit_account=3,
        identity_login_fail_limit_ip=6,
    )
    process = await build_identity(settings, address="127.0.0.1:0")
    try:
        async with serving(process.server, process.port, process.health, process.on_shutdown) as channel:
            yield process, channel
    finally:
        redis = create_redis(url=valkey_server.url)
        await redis.flushdb()
        await redis.aclose()


@pytest_asyncio.fixture(loop_scope="session")
async def apps(
    database_url: str, tmp_path: Path, nats_server: NatsServer
) -> AsyncIterator[tuple[AppsProcess, grpc.aio.Channel]]:
    """Apps serving on an ephemeral port, with a channel to it."""
    settings = AppsSettings(
        data_dir=tmp_path,
        database_url=database_url,
        nats_url=nats_server.url,
        secret_key="test-secret-" + uuid.uuid4().hex,
        apps_outbox_interval_s=0.2,
    )
    process = await build_apps(settings, address="127.0.0.1:0")
    async with serving(process.server, process.port, process.health, process.on_shutdown) as channel:
        yield process, channel
