"""Message operations: Dify message pages and detail, feedback, suggestions, sources, annotations, statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog

from services.chat import assist, statistics
from services.chat.app_config import model_config_dict
from services.chat.conversations import ChatDomain, MessageView, check_id, check_text, model_name_of
from services.chat.models import AnnotationRecord, MessageRecord
from services.chat.prompt import Turn
from services.kit.context import Principal
from services.kit.errors import FailedPrecondition, InvalidArgument, MeshError, NotFound

log = structlog.get_logger(__name__)
SUGGESTION_HISTORY = 3
SOURCE_TYPES = ("all", "search", "image")


class MessageService(ChatDomain):
    """What the message, feedback, annotation and statistics RPCs do."""

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

    async def _app_config(self, principal: Principal, message: MessageRecord) -> dict[str, Any]:
        if message.app_id and self.app_configs is not None:
            return model_config_dict(await self.app_configs.get(principal=principal, app_id=message.app_id))
        conversation = await self.store.get_conversation(principal=principal, conversation_id=message.conversation_id)
        return dict(conversation.model_config or {})

    async def suggest(self, *, principal: Principal, app_id: str, message_id: str) -> list[str]:
        """Three follow-up questions for the exchange, when the app turns suggested questions on."""
        check_id(message_id, field="message_id")
        if app_id:
            await self.require_app(principal=principal, app_id=app_id)
        message = await self.store.get_message(principal=principal, message_id=message_id, app_id=app_id)
        await self.store.get_conversation(principal=principal, conversation_id=message.conversation_id)
        config = await self._app_config(principal, message)
        if not (config.get("suggested_questions_after_answer") or {}).get("enabled"):
            raise FailedPrecondition(
                "suggested questions after answer are disabled for this app",
                reason="app_suggested_questions_after_answer_disabled",
            )
        rows = await self.queries.messages_until(message=message, limit=SUGGESTION_HISTORY)
        turns = [t for m in rows for t in (Turn("user", m.query), Turn("assistant", m.answer)) if t.content]
        model = await self.registry.resolve_llm(principal=principal, model_name=model_name_of(config))
        try:
            answer = await self.upstream.complete(
                model, messages=assist.suggestion_messages(turns), params=assist.SUGGESTION_PARAMS
            )
        except MeshError as error:
            # Dify answers an empty list when the model fails; the reason goes to the log.
            log.warning("suggested_questions_failed", reason=error.reason, error=error.message)
            return []
        return assist.parse_questions(answer)

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

    async def statistics(
        self,
        *,
        principal: Principal,
        app_id: str,
        metric: str,
        start: datetime | None,
        end: datetime | None,
        timezone: str,
    ) -> list[statistics.StatRow]:
        """One Dify statistic per day over [start, end), days cut in the timezone (default MESH_TIMEZONE)."""
        if metric not in statistics.METRICS:
            raise InvalidArgument(f"metric must be one of {', '.join(statistics.METRICS)}", field="metric")
        span = statistics.window(start=start, end=end, timezone=timezone or self.settings.timezone)
        await self.require_app(principal=principal, app_id=app_id)
        return await statistics.compute(
            sessions=self.store.sessions, principal=principal, app_id=app_id, metric=metric, span=span
        )
