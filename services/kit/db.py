"""Async SQLAlchemy engines for SQLite and PostgreSQL, sessions, and versioned schema migrations."""

from __future__ import annotations

import contextlib
import sqlite3
import zlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import structlog
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

log = structlog.get_logger(__name__)

SCHEMA_TABLE = "mesh_schema_version"


@dataclass(frozen=True)
class Migration:
    """One explicit schema step; `upgrade` receives Alembic's Operations bound to the connection."""

    version: int
    description: str
    upgrade: Callable[[Operations], None]


class _RollbackBeforeClose(sqlite3.Connection):
    """An SQLite connection that ends its transaction before closing, so a closed one never keeps a lock."""

    def close(self) -> None:
        # A task cancelled mid-statement leaves that statement unfinalized (its cursor lives on in the
        # CancelledError's traceback), and SQLAlchemy then invalidates the connection and closes it. sqlite3_close_v2
        # keeps such a connection as a zombie, transaction and write lock included, until the cursor is freed,
        # which may be never; ROLLBACK aborts the pending statements and releases the lock at once.
        try:
            if self.in_transaction:
                self.rollback()
        except sqlite3.Error as error:
            log.warning("sqlite_rollback_before_close_failed", error=str(error))
        super().close()


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An AsyncEngine; SQLite gets WAL, foreign keys and a busy timeout so several tasks can share it."""
    if url.startswith("sqlite"):
        # aiosqlite hands `factory` to sqlite3.connect; the connection's own thread runs close() and so the rollback.
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30, "factory": _RollbackBeforeClose})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=30000")
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError:
                # Switching modes needs an exclusive lock and skips the busy handler; WAL is persistent,
                # so whichever connection got there first has already set it.
                pass
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
            # Let SQLAlchemy own transactions (pysqlite would skip BEGIN before DDL).
            dbapi_connection.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # Every transaction takes the write lock up front: a deferred one that reads and then writes
            # fails with "database is locked" (no busy wait) when another writer got there first.
            mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            connection.exec_driver_sql(f"BEGIN {mode}".strip())

        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit (handlers return them afterwards)."""
    return async_sessionmaker(engine, expire_on_commit=False)


@contextlib.asynccontextmanager
async def read_session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for reads only: on SQLite its transaction is DEFERRED, so it never waits for or holds the write lock.

    WAL readers see a snapshot and never block writers; a session that may write must not use this (a deferred
    transaction that upgrades to a write fails at once when another writer committed since its snapshot).
    """
    async with sessions() as session:
        await session.connection(execution_options={"sqlite_begin": "DEFERRED"})
        yield session


def _version_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        SCHEMA_TABLE,
        metadata,
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("description", sa.String(255), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
    )


def _apply(connection: Connection, service: str, migrations: Sequence[Migration]) -> list[int]:
    if connection.dialect.name == "postgresql":
        # Several replicas may start at once: one migrates, the others wait here, then find nothing to do.
        lock_id = zlib.crc32(f"meshconsole:{service}".encode())
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
    table = _version_table(sa.MetaData())
    table.create(connection, checkfirst=True)
    done = set(connection.execute(sa.select(table.c.version).where(table.c.service == service)).scalars())
    operations = Operations(MigrationContext.configure(connection))
    applied: list[int] = []
    for migration in sorted(migrations, key=lambda m: m.version):
        if migration.version in done:
            continue
        migration.upgrade(operations)
        connection.execute(
            table.insert().values(
                service=service,
                version=migration.version,
                description=migration.description,
                applied_at=datetime.now(UTC),
            )
        )
        applied.append(migration.version)
    return applied


async def migrate(engine: AsyncEngine, *, service: str, migrations: Sequence[Migration]) -> list[int]:
    """Apply pending migrations in one transaction under a lock; returns the versions applied."""
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration versions for {service}")
    async with engine.connect() as connection:
        connection = await connection.execution_options(sqlite_begin="IMMEDIATE")
        async with connection.begin():
            applied = await connection.run_sync(_apply, service, migrations)
    if applied:
        log.info("schema_migrated", service=service, applied=applied)
    return applied


async def schema_version(engine: AsyncEngine, *, service: str) -> int:
    """The highest applied migration version (0 when none)."""
    table = _version_table(sa.MetaData())
    async with engine.connect() as connection:
        exists = await connection.run_sync(lambda c: sa.inspect(c).has_table(SCHEMA_TABLE))
        if not exists:
            return 0
        value = await connection.scalar(sa.select(sa.func.max(table.c.version)).where(table.c.service == service))
    return int(value or 0)
