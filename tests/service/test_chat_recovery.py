"""Recovery at chat start: a dead process's 'generating' answers become errors; a live replica's are left alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest_asyncio
import sqlalchemy as sa

from services.chat.migrations import MIGRATIONS
from services.chat.records import MessageRecord
from services.chat.recovery import RUNNING_SUBJECT, answer_running_queries, recover_interrupted
from services.chat.store import ChatStore
from services.chat.tasks import TaskRegistry
from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.db import create_engine, create_session_factory, migrate
from services.kit.embedded import NatsServer
from services.kit.nats import connect_nats, drain_nats

ALICE = Principal(user_id=3, company_id=2, roles=("user",))


@pytest_asyncio.fixture(loop_scope="session")
async def store(tmp_path: Path) -> AsyncIterator[ChatStore]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}")
    await migrate(engine, service="chat", migrations=MIGRATIONS)
    try:
        yield ChatStore(create_session_factory(engine))
    finally:
        await engine.dispose()


async def _message(store: ChatStore, conversation_id: str, name: str, *, age_s: float, **values: str) -> None:
    at = utcnow() - timedelta(seconds=age_s)
    record = MessageRecord(
        id=f"message-{name}",
        conversation_id=conversation_id,
        user_id=ALICE.user_id,
        company_id=ALICE.company_id,
        task_id=f"task-{name}",
        query=f"question {name}",
        created_at=at,
        updated_at=at,
        **{"status": "generating", **values},
    )
    await store.start_message(record=record)


async def _row(store: ChatStore, name: str) -> tuple[str, str, str]:
    async with store.sessions() as session:
        found = await session.execute(
            sa.select(MessageRecord.status, MessageRecord.error, MessageRecord.answer).where(
                MessageRecord.id == f"message-{name}"
            )
        )
        status, error, answer = found.one()
    return status, error, answer


async def test_only_answers_no_live_process_runs_are_marked_and_their_text_is_kept(
    store: ChatStore, nats_server: NatsServer
) -> None:
    conversation = await store.create_conversation(principal=ALICE, app_id="", mode="chat", origin="dify")
    await _message(store, conversation.id, "orphaned", age_s=30, answer="half an ans")
    await _message(store, conversation.id, "on-a-live-peer", age_s=30)
    await _message(store, conversation.id, "finished", age_s=30, status="normal", answer="done")
    booted_at = utcnow()
    await _message(store, conversation.id, "started-after-boot", age_s=-1)

    peer_nc = await connect_nats(url=nats_server.url, name="chat-peer")
    nc = await connect_nats(url=nats_server.url, name="chat-booting")
    try:
        peer_tasks = TaskRegistry()
        peer_tasks.register("task-on-a-live-peer")
        await answer_running_queries(peer_nc, peer_tasks)
        await answer_running_queries(nc, TaskRegistry())
        await peer_nc.flush()
        assert await recover_interrupted(store, nc, booted_at=booted_at) == 1
    finally:
        await drain_nats(nc)
        await drain_nats(peer_nc)

    status, error, answer = await _row(store, "orphaned")
    assert (status, answer) == ("error", "half an ans")
    assert error == "interrupted: the chat service restarted"
    assert (await _row(store, "on-a-live-peer"))[0] == "generating"
    assert (await _row(store, "started-after-boot"))[0] == "generating"
    assert (await _row(store, "finished"))[:1] == ("normal",)


async def test_nothing_generating_means_no_question_to_the_peers(store: ChatStore, nats_server: NatsServer) -> None:
    nc = await connect_nats(url=nats_server.url, name="chat-booting")
    asked: list[bytes] = []

    async def spy(msg: Any) -> None:
        asked.append(msg.data)

    try:
        await nc.subscribe(RUNNING_SUBJECT, cb=spy)
        assert await recover_interrupted(store, nc, booted_at=utcnow()) == 0
        await nc.flush()
    finally:
        await drain_nats(nc)
    assert asked == []
