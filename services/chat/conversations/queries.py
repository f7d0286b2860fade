"""Conversation queries beyond the store core: resolve, list with summaries, rename, delete, message pages."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from services.chat.records import AnnotationRecord, ConversationRecord, FeedbackRecord, MessageRecord
from services.chat.store import ChatStore, visible_to
from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.errors import NotFound

MAX_LIST = 1000  # an unpaged list (Nexent) returns at most this many


@dataclass
class Summary:
    """What a conversation list item shows besides the row: feedback counts, annotation, first exchange."""

    user_like: int = 0
    user_dislike: int = 0
    admin_like: int = 0
    admin_dislike: int = 0
    annotation: AnnotationRecord | None = None
    first: MessageRecord | None = None


@dataclass
class ConversationPage:
    """One page of conversations and the total that matched."""

    records: list[ConversationRecord]
    total: int
    summaries: dict[str, Summary] = field(default_factory=dict)


def _visible_conversations(principal: Principal) -> Any:
    return sa.and_(
        ConversationRecord.deleted.is_(False),
        visible_to(principal, ConversationRecord.user_id, ConversationRecord.company_id),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ConversationQueries:
    """Reads and changes conversations as a whole; every query is scoped by the principal."""

    def __init__(self, store: ChatStore) -> None:
        self.store = store
        self.sessions = store.sessions

    async def resolve(self, *, principal: Principal, ref: str, app_id: str = "", mode: str = "") -> ConversationRecord:
        """A conversation by uuid or by its numeric id (Nexent); anything else the caller cannot see, or of
        another mode when one is named, is not found."""
        record = await self._resolve(principal=principal, ref=ref, app_id=app_id)
        if mode and record.mode != mode:
            raise NotFound("conversation not found", reason="conversation_not_found")
        return record

    async def _resolve(self, *, principal: Principal, ref: str, app_id: str) -> ConversationRecord:
        if ref.isdigit():
            async with self.sessions() as session:
                query = sa.select(ConversationRecord).where(
                    ConversationRecord.seq == int(ref), _visible_conversations(principal)
                )
                if app_id:
                    query = query.where(ConversationRecord.app_id == app_id)
                record = (await session.execute(query)).scalars().first()
            if record is None:
                raise NotFound("conversation not found", reason="conversation_not_found")
            return record
        return await self.store.get_conversation(principal=principal, conversation_id=ref, app_id=app_id)

    async def list_page(
        self,
        *,
        principal: Principal,
        app_id: str,
        mode: str,
        origin: str,
        keyword: str,
        page: int,
        limit: int,
    ) -> ConversationPage:
        """Conversations newest activity first; limit 0 lists up to MAX_LIST."""
        where = [_visible_conversations(principal)]
        if app_id:
            where.append(ConversationRecord.app_id == app_id)
        if mode:
            where.append(ConversationRecord.mode == mode)
        if origin:
            where.append(ConversationRecord.origin == origin)
        if keyword:
            pattern = f"%{_escape_like(keyword)}%"
            hit = sa.or_(
                MessageRecord.query.ilike(pattern, escape="\\"), MessageRecord.answer.ilike(pattern, escape="\\")
            )
            matching = sa.select(MessageRecord.conversation_id).where(hit)
            where.append(
                sa.or_(ConversationRecord.name.ilike(pattern, escape="\\"), ConversationRecord.id.in_(matching))
            )
        size = limit or MAX_LIST
        async with self.sessions() as session:
            total = int((await session.execute(sa.select(sa.func.count()).where(*where))).scalar() or 0)
            query = (
                sa.select(ConversationRecord)
                .where(*where)
                .order_by(ConversationRecord.updated_at.desc(), ConversationRecord.seq.desc())
                .offset((max(page, 1) - 1) * size if limit else 0)
                .limit(size)
            )
            records = list((await session.execute(query)).scalars())
        return ConversationPage(records=records, total=total)

    async def summaries(self, *, conversation_ids: Sequence[str], company_id: int) -> dict[str, Summary]:
        """Feedback counts, first annotation and first exchange of each conversation."""
        found = {cid: Summary() for cid in conversation_ids}
        if not found:
            return found
        ids = list(found)
        keys = (FeedbackRecord.conversation_id, FeedbackRecord.from_source, FeedbackRecord.rating)
        async with self.sessions() as session:
            counts = await session.execute(
                sa.select(*keys, sa.func.count()).where(FeedbackRecord.conversation_id.in_(ids)).group_by(*keys)
            )
            for conversation_id, source, rating, count in counts:
                summary = found[conversation_id]
                prefix = "admin" if source == "admin" else "user"
                if rating in ("like", "dislike"):
                    name = f"{prefix}_{rating}"
                    setattr(summary, name, getattr(summary, name) + int(count))
            annotated = await session.execute(
                sa.select(MessageRecord.conversation_id, AnnotationRecord)
                .join(MessageRecord, MessageRecord.id == AnnotationRecord.message_id)
                .where(MessageRecord.conversation_id.in_(ids), AnnotationRecord.company_id == company_id)
                .order_by(MessageRecord.created_at)
            )
            for conversation_id, annotation in annotated:
                found[conversation_id].annotation = found[conversation_id].annotation or annotation
            first_at = (
                sa.select(MessageRecord.conversation_id, sa.func.min(MessageRecord.created_at).label("first_at"))
                .where(MessageRecord.conversation_id.in_(ids))
                .group_by(MessageRecord.conversation_id)
                .subquery()
            )
            firsts = await session.execute(
                sa.select(MessageRecord).join(
                    first_at,
                    sa.and_(
                        MessageRecord.conversation_id == first_at.c.conversation_id,
                        MessageRecord.created_at == first_at.c.first_at,
                    ),
                )
            )
            for message in firsts.scalars():
                found[message.conversation_id].first = found[message.conversation_id].first or message
        return found

    async def rename(self, *, principal: Principal, ref: str, name: str) -> ConversationRecord:
        """Set a conversation's name."""
        record = await self.resolve(principal=principal, ref=ref)
        now = utcnow()
        async with self.sessions() as session, session.begin():
            await session.execute(
                sa.update(ConversationRecord)
                .where(ConversationRecord.id == record.id)
                .values(name=name, updated_at=now)
            )
        record.name, record.updated_at = name, now
        return record

    async def delete(self, *, principal: Principal, ref: str, app_id: str = "", mode: str = "") -> None:
        """Remove a conversation with its messages and feedback; the app's annotations stay."""
        record = await self.resolve(principal=principal, ref=ref, app_id=app_id, mode=mode)
        async with self.sessions() as session, session.begin():
            await session.execute(sa.delete(FeedbackRecord).where(FeedbackRecord.conversation_id == record.id))
            await session.execute(sa.delete(MessageRecord).where(MessageRecord.conversation_id == record.id))
            await session.execute(sa.delete(ConversationRecord).where(ConversationRecord.id == record.id))

    async def messages_before(
        self, *, conversation_id: str, first_id: str, limit: int
    ) -> tuple[list[MessageRecord], bool]:
        """The `limit` messages before first_id (or the newest), oldest first, and whether older ones exist."""
        where: list[Any] = [MessageRecord.conversation_id == conversation_id]
        async with self.sessions() as session:
            if first_id:
                first = (
                    await session.execute(
                        sa.select(MessageRecord.created_at, MessageRecord.id).where(
                            MessageRecord.id == first_id, MessageRecord.conversation_id == conversation_id
                        )
                    )
                ).first()
                if first is None:
                    raise NotFound("first message not found", reason="first_message_not_found")
                where.append(
                    sa.or_(
                        MessageRecord.created_at < first.created_at,
                        sa.and_(MessageRecord.created_at == first.created_at, MessageRecord.id < first.id),
                    )
                )
            query = (
                sa.select(MessageRecord)
                .where(*where)
                .order_by(MessageRecord.created_at.desc(), MessageRecord.id.desc())
                .limit(limit + 1)
            )
            rows = list((await session.execute(query)).scalars())
        has_more = len(rows) > limit
        return list(reversed(rows[:limit])), has_more

    async def exchange_items_page(
        self, *, conversation_id: str, first_item: int, item_count: int
    ) -> tuple[list[tuple[MessageRecord, int]], int]:
        """A page of a conversation shown as items, newest first: each message is an answer item (unless it is
        still generating with no text yet) then its question item. Returns the messages on the page, each with
        its item offset (how many items come before it), and the conversation's total item count.
        """
        items = sa.case((sa.and_(MessageRecord.status == "generating", MessageRecord.answer == ""), 1), else_=2).label(
            "item_count"
        )
        newest_first = (MessageRecord.created_at.desc(), MessageRecord.id.desc())
        numbered = (
            sa.select(
                MessageRecord.id.label("id"),
                items,
                sa.func.sum(items).over(order_by=newest_first).label("through"),
            )
            .where(MessageRecord.conversation_id == conversation_id)
            .subquery()
        )
        last_item = first_item + item_count
        async with self.sessions() as session:
            total = (
                await session.execute(
                    sa.select(sa.func.coalesce(sa.func.sum(items), 0)).where(
                        MessageRecord.conversation_id == conversation_id
                    )
                )
            ).scalar_one()
            # A message is on the page when its items [through - items, through) meet [first_item, last_item).
            page = (
                await session.execute(
                    sa.select(MessageRecord, numbered.c.through - numbered.c.item_count)
                    .join(numbered, numbered.c.id == MessageRecord.id)
                    .where(numbered.c.through > first_item, numbered.c.through - numbered.c.item_count < last_item)
                    .order_by(*newest_first)
                )
            ).all()
        return [(row[0], int(row[1])) for row in page], int(total)

    async def messages_until(self, *, message: MessageRecord, limit: int) -> list[MessageRecord]:
        """The last `limit` finished exchanges of a conversation up to and including `message`, oldest first."""
        async with self.sessions() as session:
            query = (
                sa.select(MessageRecord)
                .where(
                    MessageRecord.conversation_id == message.conversation_id,
                    MessageRecord.created_at <= message.created_at,
                    MessageRecord.status != "generating",
                )
                .order_by(MessageRecord.created_at.desc(), MessageRecord.id.desc())
                .limit(limit)
            )
            rows = list((await session.execute(query)).scalars())
        return list(reversed(rows))


def is_uuid(value: str) -> bool:
    """Whether a string is a canonical-enough UUID."""
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
