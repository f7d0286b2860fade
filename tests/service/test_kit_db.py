"""Versioned migrations on SQLite and PostgreSQL, including replicas migrating at once."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from alembic.operations import Operations

from services.kit.db import Migration, create_engine, migrate, schema_version

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
