"""The group commit of turns, on SQLite and on PostgreSQL: many turns per transaction, the end write carries all."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.chat.conversations.turn_writer import TurnWriter
from services.chat.migrations import MIGRATIONS
from services.chat.records import ConversationRecord, MessageRecord
from services.kit.clock import utcnow
from services.kit.db import create_engine, create_session_factory, migrate


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"


@pytest_asyncio.fixture(loop_scope="session")
async def db_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    db = create_engine(database_url)
    await migrate(db, service="chat", migrations=MIGRATIONS)
    try:
        yield db
    finally:
        await db.dispose()


def conversation(user: int = 1) -> ConversationRecord:
    now = utcnow()
    return ConversationRecord(
        id=str(uuid.uuid4()), user_id=user, company_id=1, app_id="app", mode="chat", origin="dify", name="n",
        created_at=now, updated_at=now,
    )  # fmt: skip


def message(conversation_id: str, query: str = "q") -> MessageRecord:
    now = utcnow()
    return MessageRecord(
        id=str(uuid.uuid4()), conversation_id=conversation_id, user_id=1, company_id=1, app_id="app",
        task_id=str(uuid.uuid4()), query=query, status="generating", model="m", created_at=now, updated_at=now,
    )  # fmt: skip


def done(answer: str) -> dict[str, Any]:
    return {"answer": answer, "reasoning": "", "status": "normal", "error": "", "prompt_tokens": 3,
            "completion_tokens": 2, "latency_s": 0.1, "first_token_s": 0.01}  # fmt: skip


def count_transactions(db: AsyncEngine) -> list[int]:
    begun = [0]

    @event.listens_for(db.sync_engine, "begin")
    def _begin(_: Any) -> None:
        begun[0] += 1

    return begun


async def rows(db: AsyncEngine, record: type[Any], ids: list[str]) -> dict[str, Any]:
    async with create_session_factory(db)() as session:
        found = (await session.execute(sa.select(record).where(record.id.in_(ids)))).scalars()
        return {r.id: r for r in found}


async def test_turns_that_start_together_share_one_transaction_and_get_consecutive_seqs(db_engine: AsyncEngine) -> None:
    writer = TurnWriter(create_session_factory(db_engine))
    begun = count_transactions(db_engine)
    turns = []
    for i in range(50):
        talk = conversation()
        writer.create_conversation(talk)
        turns.append(message(talk.id, query=f"q{i}"))
        writer.start_message(turns[-1])
    assert writer.pending_conversation(talk.id) is talk and writer.pending_task(turns[-1].task_id) is turns[-1]
    await asyncio.gather(*(writer.finish(m, done(f"a{i}")) for i, m in enumerate(turns)))
    await writer.close()
    assert begun[0] <= 2, "fifty turns: one transaction for their starts, one for their ends"
    assert writer.pending_conversation(talk.id) is None and writer.pending_task(turns[-1].task_id) is None
    stored = await rows(db_engine, MessageRecord, [m.id for m in turns])
    assert [(stored[m.id].query, stored[m.id].answer, stored[m.id].status) for m in turns[:2]] == [
        ("q0", "a0", "normal"),
        ("q1", "a1", "normal"),
    ]
    talks = await rows(db_engine, ConversationRecord, [m.conversation_id for m in turns])
    seqs = sorted(t.seq for t in talks.values())
    assert seqs == list(range(seqs[0], seqs[0] + 50)) and all(t.message_count == 1 for t in talks.values())


async def test_the_end_write_carries_the_whole_row_when_the_start_write_was_lost(db_engine: AsyncEngine) -> None:
    writer = TurnWriter(create_session_factory(db_engine))
    talk = conversation()
    writer.create_conversation(talk)
    await writer.close()
    failing = [True]

    @event.listens_for(db_engine.sync_engine, "before_cursor_execute")
    def _fail_inserts(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if failing[0] and statement.lstrip().upper().startswith("INSERT INTO MESSAGES"):
            raise OperationalError(statement, {}, Exception("disk I/O error"))

    turn = message(talk.id, query="the question")
    writer.start_message(turn)
    for _ in range(500):  # until the writer gave up on the start write
        if turn.id in writer._failed_starts:
            break
        await asyncio.sleep(0.01)
    assert turn.id in writer._failed_starts
    failing[0] = False
    await writer.finish(turn, done("the whole answer"))
    stored = (await rows(db_engine, MessageRecord, [turn.id]))[turn.id]
    assert (stored.query, stored.answer, stored.status, stored.task_id) == (
        "the question",
        "the whole answer",
        "normal",
        turn.task_id,
    )
    await writer.close()


async def test_a_late_checkpoint_never_overwrites_a_finished_answer(db_engine: AsyncEngine) -> None:
    writer = TurnWriter(create_session_factory(db_engine))
    talk = conversation()
    writer.create_conversation(talk)
    turn = message(talk.id)
    writer.start_message(turn)
    writer.checkpoint(turn.id, answer="part", reasoning="")  # merged into the insert of the same batch
    await writer.close()
    assert (await rows(db_engine, MessageRecord, [turn.id]))[turn.id].answer == "part"
    await writer.finish(turn, done("final"))
    writer.checkpoint(turn.id, answer="stale", reasoning="")
    await writer.close()
    assert (await rows(db_engine, MessageRecord, [turn.id]))[turn.id].answer == "final"
