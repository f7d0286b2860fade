"""Feedback (likes, dislikes) and annotations on messages, scoped by the caller's principal."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chat.records import AnnotationRecord, FeedbackRecord, MessageRecord
from services.chat.store import visible_to
from services.kit.clock import utcnow
from services.kit.context import Principal


class FeedbackStore:
    """One rating per message and user, and one end-user ("user" source) rating per message; annotations per app."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def set_rating(
        self, *, principal: Principal, message: MessageRecord, rating: str | None, content: str, from_source: str
    ) -> None:
        """Upsert the caller's rating on a message; None removes it."""
        for attempt in range(2):
            try:
                await self._set_rating(principal, message, rating, content, from_source)
                return
            except IntegrityError:
                if attempt:
                    raise

    async def _set_rating(
        self, principal: Principal, message: MessageRecord, rating: str | None, content: str, from_source: str
    ) -> None:
        on_message = FeedbackRecord.message_id == message.id
        mine = sa.and_(on_message, FeedbackRecord.user_id == principal.user_id)
        # The end user's rating (Nexent's opinion_flag) belongs to the message, not to whoever set it: one per message.
        others = sa.and_(on_message, FeedbackRecord.from_source == "user", FeedbackRecord.user_id != principal.user_id)
        async with self.sessions() as session, session.begin():
            if from_source == "user":
                await session.execute(sa.delete(FeedbackRecord).where(others))
            if rating is None:
                await session.execute(sa.delete(FeedbackRecord).where(mine))
                return
            existing = (await session.execute(sa.select(FeedbackRecord).where(mine))).scalars().first()
            if existing is not None:
                existing.rating, existing.content, existing.from_source = rating, content, from_source
                return
            session.add(
                FeedbackRecord(
                    id=str(uuid.uuid4()),
                    message_id=message.id,
                    conversation_id=message.conversation_id,
                    app_id=message.app_id,
                    user_id=principal.user_id,
                    company_id=principal.company_id,
                    rating=rating,
                    content=content,
                    from_source=from_source,
                    created_at=utcnow(),
                )
            )

    async def for_messages(self, *, message_ids: Sequence[str]) -> dict[str, list[FeedbackRecord]]:
        """Every rating on each message, oldest first."""
        found: dict[str, list[FeedbackRecord]] = {mid: [] for mid in message_ids}
        if not found:
            return found
        async with self.sessions() as session:
            rows = await session.execute(
                sa.select(FeedbackRecord)
                .where(FeedbackRecord.message_id.in_(list(found)))
                .order_by(FeedbackRecord.created_at)
            )
            for record in rows.scalars():
                found[record.message_id].append(record)
        return found

    async def annotations_for(self, *, message_ids: Sequence[str], company_id: int) -> dict[str, AnnotationRecord]:
        """The annotation of each annotated message."""
        if not message_ids:
            return {}
        async with self.sessions() as session:
            rows = await session.execute(
                sa.select(AnnotationRecord).where(
                    AnnotationRecord.message_id.in_(list(message_ids)), AnnotationRecord.company_id == company_id
                )
            )
            return {record.message_id: record for record in rows.scalars()}

    async def upsert_annotation(
        self, *, principal: Principal, app_id: str, message: MessageRecord | None, question: str, answer: str
    ) -> AnnotationRecord:
        """A new annotation, or the message's existing one with the new question and answer."""
        async with self.sessions() as session, session.begin():
            existing = None
            if message is not None:
                existing = (
                    (
                        await session.execute(
                            sa.select(AnnotationRecord).where(
                                AnnotationRecord.message_id == message.id,
                                AnnotationRecord.company_id == principal.company_id,
                            )
                        )
                    )
                    .scalars()
                    .first()
                )
            if existing is not None:
                existing.question, existing.answer = question, answer
                return existing
            record = AnnotationRecord(
                id=str(uuid.uuid4()),
                app_id=app_id,
                user_id=principal.user_id,
                company_id=principal.company_id,
                message_id=message.id if message is not None else "",
                question=question,
                answer=answer,
                hit_count=0,
                created_at=utcnow(),
            )
            session.add(record)
            return record

    async def count_annotations(self, *, principal: Principal, app_id: str) -> int:
        """How many annotations the app has that the caller may see."""
        async with self.sessions() as session:
            query = sa.select(sa.func.count()).where(
                AnnotationRecord.app_id == app_id,
                visible_to(principal, AnnotationRecord.user_id, AnnotationRecord.company_id),
            )
            return int((await session.execute(query)).scalar() or 0)
