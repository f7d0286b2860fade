"""Callers that give up while files is inside a transaction never leave its SQLite write lock held."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from meshconsole.files.v1 import files_pb2
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from services.kit.testing.servers import NatsServer
from tests.service.files_support import ALICE, md, put, start_files, stop_files
from tests.service.sqlite_support import write_lock_is_free

LISTING = files_pb2.ListObjectsRequest(page={"limit": 300}, include_urls=True)


class StatementWatch:
    """Signals when files starts its listing SELECT, and counts connections dropped by a cancelled statement."""

    def __init__(self) -> None:
        self.listing_started = asyncio.Event()
        self.invalidated = 0

    def on_execute(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM objects" in statement:
            self.listing_started.set()

    def on_invalidate(self, *_: Any) -> None:
        self.invalidated += 1


@contextlib.contextmanager
def watching() -> Iterator[StatementWatch]:
    watch = StatementWatch()
    event.listen(Engine, "before_cursor_execute", watch.on_execute)
    event.listen(Pool, "invalidate", watch.on_invalidate)
    try:
        yield watch
    finally:
        event.remove(Engine, "before_cursor_execute", watch.on_execute)
        event.remove(Pool, "invalidate", watch.on_invalidate)


async def test_listings_cancelled_mid_statement_leave_writes_prompt(tmp_path: Path, nats_server: NatsServer) -> None:
    database = tmp_path / "files.db"
    env = await start_files(tmp_path, f"sqlite+aiosqlite:///{database}", nats_server)
    try:
        await asyncio.gather(*(put(env, ALICE, b"x" * 64, name=f"note-{i}.txt") for i in range(300)))
        with watching() as watch:
            for _ in range(120):
                watch.listing_started.clear()
                call = env.stub.ListObjects(LISTING, metadata=md(ALICE))
                # The caller dies the moment files is inside its listing statement.
                try:
                    await asyncio.wait_for(watch.listing_started.wait(), timeout=10)
                except TimeoutError:
                    raise AssertionError("a listing could not begin: an earlier cancelled call kept the lock") from None
                call.cancel()
                with contextlib.suppress(grpc.aio.AioRpcError, asyncio.CancelledError):
                    await call
        assert watch.invalidated > 0, "no cancellation landed inside a statement; the test proved nothing"
        # The service's busy timeout is 30 s: a lock kept by a dropped connection would outlast both bounds.
        assert await asyncio.to_thread(write_lock_is_free, database, wait_s=5)
        stored = await asyncio.wait_for(put(env, ALICE, b"after", name="after.txt"), timeout=5)
        assert stored.size == 5
    finally:
        await stop_files(env)
