"""Insights from conversations: generated titles, suggested follow-up questions and Dify statistics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import structlog

from services.chat.app_config import model_config_dict
from services.chat.conversations.service import MAX_NAME, ChatDomain, check_id, model_name_of
from services.chat.generation.prompt import Turn
from services.chat.insights import assist, statistics
from services.chat.records import ConversationRecord, MessageRecord
from services.kit.context import Principal
from services.kit.errors import FailedPrecondition, InvalidArgument, MeshError

log = structlog.get_logger(__name__)
SUGGESTION_HISTORY = 3
TITLE_HISTORY = 6


class InsightsService(ChatDomain):
    """What the title, suggestion and statistics RPCs do."""

    async def generate_title(
        self, *, principal: Principal, ref: str, history: Sequence[Turn]
    ) -> tuple[ConversationRecord, str]:
        """A short title from the given history (or the stored messages), saved as the conversation's name."""
        check_id(ref, field="conversation_id", allow_seq=True)
        record = await self.queries.resolve(principal=principal, ref=ref)
        turns = [t for t in history if t.content.strip()]
        if not turns:
            rows = await self.store.history(conversation_id=record.id, limit=TITLE_HISTORY)
            turns = [t for m in rows for t in (Turn("user", m.query), Turn("assistant", m.answer)) if t.content]
        if not turns:
            raise InvalidArgument("history is empty and the conversation has no messages yet", field="history")
        model = await self.registry.resolve_llm(principal=principal, model_name=model_name_of(record.model_config))
        answer = await self.upstream.complete(model, messages=assist.title_messages(turns), params=assist.TITLE_PARAMS)
        title = assist.clean_title(answer) or assist.fallback_title(turns)
        renamed = await self.queries.rename(principal=principal, ref=record.id, name=title[:MAX_NAME])
        return renamed, title

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
