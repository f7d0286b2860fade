"""lbai history pages are cut in SQL: exactly the page's items, across both databases, a generating turn included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio

from services.chat.conversations.queries import ConversationQueries
from services.chat.migrations import MIGRATIONS
from services.chat.records import MessageRecord
from services.chat.store import ChatStore
from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.db import create_engine, create_session_factory, migrate

ALICE = Principal(user_id=3, company_id=2, roles=("user",))


@pytest_asyncio.fixture(loop_scope="session")
async def store(database_url: str) -> AsyncIterator[ChatStore]:
    engine = create_engine(database_url)
    await migrate(engine, service="chat", migrations=MIGRATIONS)
    try:
        yield ChatStore(create_session_factory(engine))
    finally:
        await engine.dispose()


def expected_items(turns: list[tuple[str, str]]) -> list[str]:
    """Newest first: an answer item unless the turn is generating with no text, then the question item."""
    items: list[str] = []
    for name, status in reversed(turns):
        if status != "generating":
            items.append(f"{name}-a")
        items.append(f"{name}-q")
    return items


async def test_every_page_holds_exactly_its_items(store: ChatStore) -> None:
    conversation = await store.create_conversation(principal=ALICE, app_id="", mode="chat", origin="lbai")
    turns = [(f"m{i:02d}", "normal") for i in range(9)] + [("m09", "generating")]
    start = utcnow() - timedelta(minutes=10)
    for offset, (name, status) in enumerate(turns):
        at = start + timedelta(seconds=offset)
        await store.start_message(
            record=MessageRecord(
                id=name,
                conversation_id=conversation.id,
                user_id=ALICE.user_id,
                company_id=ALICE.company_id,
                task_id=f"task-{name}",
                query=f"q {name}",
                answer="" if status == "generating" else f"a {name}",
                status=status,
                created_at=at,
                updated_at=at,
            )
        )
    queries = ConversationQueries(store)
    everything = expected_items(turns)
    assert len(everything) == 19
    for size in (1, 3, 4, 7, 19, 25):
        for first in range(0, 21, size):
            rows, total = await queries.exchange_items_page(
                conversation_id=conversation.id, first_item=first, item_count=size
            )
            assert total == 19
            got: list[str] = []
            offset = rows[0][1] if rows else first
            for message, _ in rows:
                if message.status != "generating":
                    got.append(f"{message.id}-a")
                got.append(f"{message.id}-q")
            assert got[first - offset : first - offset + size] == everything[first : first + size], (size, first)
            assert len(rows) <= size + 1  # never the whole conversation
