"""Versioned migrations on SQLite and PostgreSQL (replicas migrating at once), and cancelled SQLite transactions."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations
from sqlalchemy import event

from services.kit.db import Migration, create_engine, create_session_factory, migrate, read_session, schema_version
from tests.service.sqlite_support import write_lock_is_free

CALLS: list[int] = []


def _v1(op: Operations) -> None:
    CALLS.append(1)
    op.create_table("widgets", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(20)))


def _v2(op: Operations) -> None:
    CALLS.append(2)
    op.add_column("widgets", sa.Column("colour", sa.String(20), nullable=True))


async def test_migrations_apply_once_in_order(database_url: str) -> None:
    CALLS.clear()
    engine = create_engine(database_url)
    try:
        assert await schema_version(engine, service="demo") == 0
        assert await migrate(engine, service="demo", migrations=[Migration(1, "widgets", _v1)]) == [1]
        assert await migrate(engine, service="demo", migrations=[Migration(1, "widgets", _v1)]) == []
        steps = [Migration(2, "colour", _v2), Migration(1, "widgets", _v1)]
        assert await migrate(engine, service="demo", migrations=steps) == [2]
        assert CALLS == [1, 2]
        assert await schema_version(engine, service="demo") == 2
        async with engine.begin() as conn:
            await conn.execute(sa.text("INSERT INTO widgets (id, name, colour) VALUES (1, 'a', 'red')"))
    finally:
        await engine.dispose()


async def test_concurrent_starts_migrate_exactly_once(database_url: str) -> None:
    CALLS.clear()
    engines = [create_engine(database_url) for _ in range(3)]
    steps = [Migration(1, "widgets", _v1), Migration(2, "colour", _v2)]
    try:
        results = await asyncio.gather(*(migrate(e, service="race", migrations=steps) for e in engines))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(map(tuple, results)) == [(), (), (1, 2)]
    assert CALLS == [1, 2]


async def test_a_transaction_cancelled_mid_statement_releases_the_sqlite_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "cancel.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    sessions = create_session_factory(engine)
    victims: list[asyncio.Task[None]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _cancel_during_select(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # The caller goes away while the statement runs on aiosqlite's thread, as a dropped gRPC call does.
        if statement.startswith("SELECT") and victims:
            asyncio.get_running_loop().call_soon(victims[-1].cancel)

    async def write_then_read() -> None:
        async with sessions() as session, session.begin():
            await session.execute(sa.text("UPDATE rows SET v = v + 1 WHERE id = 1"))
            await session.execute(sa.text("SELECT * FROM rows"))

    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE rows (id INTEGER PRIMARY KEY, v INTEGER)"))
            await conn.execute(sa.text("INSERT INTO rows (v) VALUES " + ", ".join(["(0)"] * 500)))
        for _ in range(20):
            victims.append(asyncio.create_task(write_then_read()))
            with contextlib.suppress(asyncio.CancelledError):
                await victims[-1]
            assert victims[-1].cancelled()
            # Another writer (the service's busy timeout is 30 s) gets the lock at once, every time.
            assert await asyncio.to_thread(write_lock_is_free, path, wait_s=5)
        victims.clear()
        async with engine.begin() as conn:
            await asyncio.wait_for(conn.execute(sa.text("UPDATE rows SET v = 7 WHERE id = 1")), timeout=5)
    finally:
        await engine.dispose()


async def test_a_read_session_reads_while_another_connection_holds_the_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "reads.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE rows (id INTEGER PRIMARY KEY)"))
        writer.execute("BEGIN IMMEDIATE")
        async with read_session(create_session_factory(engine)) as session:
            count = await asyncio.wait_for(session.scalar(sa.text("SELECT count(*) FROM rows")), timeout=5)
        assert count == 0
    finally:
        writer.close()
        await engine.dispose()
