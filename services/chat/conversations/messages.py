"""Message operations: Dify message pages and detail, feedback, sources and annotations."""

from __future__ import annotations

from typing import Any

import structlog

from services.chat.conversations.service import ChatDomain, MessageView, check_id, check_text
from services.chat.records import AnnotationRecord
from services.kit.context import Principal
from services.kit.errors import InvalidArgument, NotFound

log = structlog.get_logger(__name__)
SOURCE_TYPES = ("all", "search", "image")


class MessageService(ChatDomain):
    """What the message, feedback and annotation RPCs do."""

    async def list_messages(
        self, *, principal: Principal, app_id: str, conversation_id: str, first_id: str, limit: int
    ) -> tuple[list[MessageView], bool, int]:
        """Dify's message page: the `limit` messages before first_id, oldest first, and has_more."""
        check_id(conversation_id, field="conversation_id")
        if first_id:
            check_id(first_id, field="first_id")
        limit = limit or 20
        if not 1 <= limit <= 100:
            raise InvalidArgument("limit must be between 1 and 100", field="limit")
        if app_id:
            await self.require_app(principal=principal, app_id=app_id)
        conversation = await self.store.get_conversation(
            principal=principal, conversation_id=conversation_id, app_id=app_id
        )
        rows, has_more = await self.queries.messages_before(
            conversation_id=conversation.id, first_id=first_id, limit=limit
        )
        return await self.views(principal, rows), has_more, limit

    async def get_message(self, *, principal: Principal, app_id: str, message_id: str) -> MessageView:
        """One message the caller may see (of this app when app_id is set)."""
        check_id(message_id, field="message_id")
        if app_id:
            await self.require_app(principal=principal, app_id=app_id)
        record = await self.store.get_message(principal=principal, message_id=message_id, app_id=app_id)
        return (await self.views(principal, [record]))[0]

    async def set_feedback(
        self, *, principal: Principal, app_id: str, message_id: str, rating: str | None, content: str, from_source: str
    ) -> None:
        """Like, dislike or clear (None) the caller's rating of a message."""
        check_id(message_id, field="message_id")
        if rating not in ("like", "dislike", None):
            raise InvalidArgument("rating must be like, dislike or null", field="rating")
        if from_source not in ("user", "admin"):
            raise InvalidArgument("from_source must be user or admin", field="from_source")
        check_text(content, field="content", required=False, limit=10_000)
        if app_id:
            await self.require_app(principal=principal, app_id=app_id)
        message = await self.store.get_message(principal=principal, message_id=message_id, app_id=app_id)
        await self.feedback.set_rating(
            principal=principal, message=message, rating=rating, content=content, from_source=from_source
        )

    async def sources(
        self, *, principal: Principal, conversation_ref: str, message_id: str, kind: str
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """The search results and images behind one answer, or behind every answer of a conversation."""
        kind = kind or "all"
        if kind not in SOURCE_TYPES:
            raise InvalidArgument("type must be all, search or image", field="type")
        if message_id:
            check_id(message_id, field="message_id")
            message = await self.store.get_message(principal=principal, message_id=message_id)
            if conversation_ref:
                check_id(conversation_ref, field="conversation_id", allow_seq=True)
                conversation = await self.queries.resolve(principal=principal, ref=conversation_ref)
                if conversation.id != message.conversation_id:
                    raise NotFound("message not found", reason="message_not_found")
            rows = [message]
        elif conversation_ref:
            check_id(conversation_ref, field="conversation_id", allow_seq=True)
            conversation = await self.queries.resolve(principal=principal, ref=conversation_ref)
            rows, _ = await self.queries.messages_before(conversation_id=conversation.id, first_id="", limit=10_000)
        else:
            raise InvalidArgument("conversation_id or message_id is required", field="message_id")
        extras = [m.extra or {} for m in rows]
        searches = [dict(r) for e in extras for r in e.get("retriever_resources") or [] if isinstance(r, dict)]
        images = [i for e in extras for i in e.get("images") or [] if isinstance(i, str)]
        return (searches if kind != "image" else []), (images if kind != "search" else [])

    async def create_annotation(
        self, *, principal: Principal, app_id: str, message_id: str, question: str, answer: str
    ) -> AnnotationRecord:
        """Annotate the app (or one of its messages: its annotation is updated if it has one)."""
        await self.require_app(principal=principal, app_id=app_id)
        check_text(answer, field="answer", required=True)
        message = None
        if message_id:
            check_id(message_id, field="message_id")
            message = await self.store.get_message(principal=principal, message_id=message_id, app_id=app_id)
        check_text(question, field="question", required=message is None)
        question = question if question.strip() else (message.query if message is not None else "")
        return await self.feedback.upsert_annotation(
            principal=principal, app_id=app_id, message=message, question=question, answer=answer
        )

    async def count_annotations(self, *, principal: Principal, app_id: str) -> int:
        """How many annotations the app has."""
        await self.require_app(principal=principal, app_id=app_id)
        return await self.feedback.count_annotations(principal=principal, app_id=app_id)
