"""Chat persistence core: conversations and messages, always scoped to the caller's principal."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chat.records import AnnotationRecord, ConversationRecord, FeedbackRecord, MessageRecord
from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.errors import NotFound


def visible_to(principal: Principal, user_column: Any, company_column: Any) -> Any:
    """The tenancy filter: a company key sees its company, everyone else only their own rows."""
    if principal.is_company_wide:
        return company_column == principal.company_id
    return sa.and_(user_column == principal.user_id, company_column == principal.company_id)


class ChatStore:
    """Conversations and messages; every read and write is scoped by the principal."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def create_conversation(
        self,
        *,
        principal: Principal,
        app_id: str,
        mode: str,
        origin: str,
        name: str = "",
        inputs: dict[str, Any] | None = None,
        model_config: dict[str, Any] | None = None,
        conversation_id: str | None = None,
        end_user: str = "",
    ) -> ConversationRecord:
        """Insert a conversation; seq is a numeric id for dialects that want one (NextConsole)."""
        now = utcnow()
        for attempt in range(5):
            try:
                return await self._insert_conversation(
                    principal=principal,
                    app_id=app_id,
                    mode=mode,
                    origin=origin,
                    name=name,
                    inputs=inputs,
                    model_config=model_config,
                    conversation_id=conversation_id,
                    end_user=end_user,
                    now=now,
                )
            except IntegrityError:
                # Two writers picked the same seq (PostgreSQL); the next attempt reads the new max.
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    async def _insert_conversation(
        self,
        *,
        principal: Principal,
        app_id: str,
        mode: str,
        origin: str,
        name: str,
        inputs: dict[str, Any] | None,
        model_config: dict[str, Any] | None,
        conversation_id: str | None,
        end_user: str,
        now: datetime,
    ) -> ConversationRecord:
        async with self.sessions() as session, session.begin():
            next_seq = (await session.execute(sa.select(sa.func.max(ConversationRecord.seq)))).scalar() or 0
            record = ConversationRecord(
                id=conversation_id or str(uuid.uuid4()),
                seq=int(next_seq) + 1,
                user_id=principal.user_id,
                company_id=principal.company_id,
                app_id=app_id,
                mode=mode,
                origin=origin,
                name=name,
                inputs=inputs or {},
                model_config=model_config or {},
                end_user=end_user,
                created_at=now,
                updated_at=now,
            )
            session.add(record)
        return record

    async def get_conversation(
        self, *, principal: Principal, conversation_id: str, app_id: str = ""
    ) -> ConversationRecord:
        """A live conversation the principal may see; anything else is not found."""
        async with self.sessions() as session:
            query = sa.select(ConversationRecord).where(
                ConversationRecord.id == conversation_id,
                ConversationRecord.deleted.is_(False),
                visible_to(principal, ConversationRecord.user_id, ConversationRecord.company_id),
            )
            if app_id:
                query = query.where(ConversationRecord.app_id == app_id)
            record = (await session.execute(query)).scalars().first()
        if record is None:
            raise NotFound("conversation not found", reason="conversation_not_found")
        return record

    async def conversation_exists(self, *, conversation_id: str) -> bool:
        """Whether any conversation (of any tenant) uses this id, so an id is never reused across tenants."""
        async with self.sessions() as session:
            found = await session.execute(
                sa.select(ConversationRecord.id).where(ConversationRecord.id == conversation_id)
            )
            return found.first() is not None

    async def history(self, *, conversation_id: str, limit: int) -> list[MessageRecord]:
        """The last finished exchanges of a conversation, oldest first."""
        async with self.sessions() as session:
            query = (
                sa.select(MessageRecord)
                .where(MessageRecord.conversation_id == conversation_id, MessageRecord.status != "generating")
                .order_by(MessageRecord.created_at.desc())
                .limit(limit)
            )
            rows = list((await session.execute(query)).scalars())
        return list(reversed(rows))

    async def start_message(self, *, record: MessageRecord) -> MessageRecord:
        """The one write at the start of a generation (status generating)."""
        async with self.sessions() as session, session.begin():
            session.add(record)
            await session.execute(
                sa.update(ConversationRecord)
                .where(ConversationRecord.id == record.conversation_id)
                .values(message_count=ConversationRecord.message_count + 1, updated_at=record.created_at)
            )
        return record

    async def checkpoint_message(self, *, message_id: str, answer: str, reasoning: str) -> None:
        """Save a still-generating answer's text so far; a finished message is never overwritten."""
        async with self.sessions() as session, session.begin():
            await session.execute(
                sa.update(MessageRecord)
                .where(MessageRecord.id == message_id, MessageRecord.status == "generating")
                .values(answer=answer, reasoning=reasoning, updated_at=utcnow())
            )

    async def finish_message(self, *, message_id: str, values: dict[str, Any]) -> None:
        """The one write at the end of a generation: answer, usage, timings and final status."""
        async with self.sessions() as session, session.begin():
            await session.execute(
                sa.update(MessageRecord).where(MessageRecord.id == message_id).values(updated_at=utcnow(), **values)
            )

    async def get_message(self, *, principal: Principal, message_id: str, app_id: str = "") -> MessageRecord:
        """A message the principal may see."""
        async with self.sessions() as session:
            query = sa.select(MessageRecord).where(
                MessageRecord.id == message_id,
                visible_to(principal, MessageRecord.user_id, MessageRecord.company_id),
            )
            if app_id:
                query = query.where(MessageRecord.app_id == app_id)
            record = (await session.execute(query)).scalars().first()
        if record is None:
            raise NotFound("message not found", reason="message_not_found")
        return record

    async def find_message_by_task(self, *, principal: Principal, task_id: str) -> MessageRecord | None:
        """The message a generation task wrote, if the principal may see it."""
        async with self.sessions() as session:
            query = sa.select(MessageRecord).where(
                MessageRecord.task_id == task_id,
                visible_to(principal, MessageRecord.user_id, MessageRecord.company_id),
            )
            return (await session.execute(query)).scalars().first()

    async def generating_tasks(self, *, created_before: datetime) -> list[str]:
        """Task ids of messages still 'generating' that were started before a given time."""
        async with self.sessions() as session:
            query = sa.select(MessageRecord.task_id).where(
                MessageRecord.status == "generating", MessageRecord.created_at < created_before
            )
            return list((await session.execute(query)).scalars())

    async def recover_interrupted(
        self, *, created_before: datetime | None = None, running_elsewhere: Collection[str] = ()
    ) -> int:
        """Messages left 'generating' by a crash become 'error'; the answer stored so far is kept.

        created_before and running_elsewhere spare the generations of replicas that are alive (see
        services.chat.recovery); without them every 'generating' message is marked.
        """
        query = sa.update(MessageRecord).where(MessageRecord.status == "generating")
        if created_before is not None:
            query = query.where(MessageRecord.created_at < created_before)
        if running_elsewhere:
            query = query.where(MessageRecord.task_id.not_in(list(running_elsewhere)))
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                query.values(status="error", error="interrupted: the chat service restarted", updated_at=utcnow())
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def delete_app_conversations(store: ChatStore, *, app_id: str, company_id: int) -> int:
    """Remove every conversation (and, by cascade, message) of a deleted app."""
    async with store.sessions() as session, session.begin():
        ids = list(
            (
                await session.execute(
                    sa.select(ConversationRecord.id).where(
                        ConversationRecord.app_id == app_id, ConversationRecord.company_id == company_id
                    )
                )
            ).scalars()
        )
        if ids:
            await session.execute(sa.delete(FeedbackRecord).where(FeedbackRecord.conversation_id.in_(ids)))
            await session.execute(sa.delete(MessageRecord).where(MessageRecord.conversation_id.in_(ids)))
            await session.execute(sa.delete(ConversationRecord).where(ConversationRecord.id.in_(ids)))
        await session.execute(
            sa.delete(AnnotationRecord).where(
                AnnotationRecord.app_id == app_id, AnnotationRecord.company_id == company_id
            )
        )
    return len(ids)
