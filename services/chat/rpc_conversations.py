"""Conversation, message, feedback, annotation and statistics RPCs; proto <-> domain only."""

from __future__ import annotations

from datetime import UTC
from functools import cached_property
from typing import Any

from meshconsole.chat.v1 import chat_pb2
from meshconsole.common.v1 import common_pb2

from services.chat import conversation_pb as pb
from services.chat.config import ChatSettings
from services.chat.conversations import ConversationService
from services.chat.generation import GenerationService
from services.chat.message_service import MessageService
from services.chat.prompt import Turn
from services.chat.rpc_generation import ORIGINS, caller
from services.chat.statistics import METRICS
from services.chat.store import ChatStore
from services.kit.errors import InvalidArgument

MODE_NAMES = {chat_pb2.CONVERSATION_MODE_CHAT: "chat", chat_pb2.CONVERSATION_MODE_COMPLETION: "completion"}
RATING_NAMES: dict[int, str | None] = {
    chat_pb2.RATING_UNSPECIFIED: None,
    chat_pb2.RATING_LIKE: "like",
    chat_pb2.RATING_DISLIKE: "dislike",
}
METRIC_NAMES = {
    chat_pb2.STATISTIC_METRIC_DAILY_CONVERSATIONS: "daily-conversations",
    chat_pb2.STATISTIC_METRIC_DAILY_END_USERS: "daily-end-users",
    chat_pb2.STATISTIC_METRIC_TOKEN_COSTS: "token-costs",
    chat_pb2.STATISTIC_METRIC_AVERAGE_SESSION_INTERACTIONS: "average-session-interactions",
    chat_pb2.STATISTIC_METRIC_USER_SATISFACTION_RATE: "user-satisfaction-rate",
    chat_pb2.STATISTIC_METRIC_AVERAGE_RESPONSE_TIME: "average-response-time",
    chat_pb2.STATISTIC_METRIC_TOKENS_PER_SECOND: "tokens-per-second",
}


class ConversationRpcs:
    """Mixin of ChatServicer for conversations and what hangs off them."""

    store: ChatStore
    generation: GenerationService
    settings: ChatSettings

    def _deps(self) -> dict[str, Any]:
        generation = self.generation
        return {
            "store": self.store,
            "registry": generation.registry,
            "upstream": generation.upstream,
            "app_configs": generation.app_configs,
            "settings": self.settings,
        }

    @cached_property
    def conversations(self) -> ConversationService:
        return ConversationService(**self._deps())

    @cached_property
    def messages(self) -> MessageService:
        return MessageService(**self._deps())

    async def CreateConversation(
        self, request: chat_pb2.CreateConversationRequest, context: Any
    ) -> chat_pb2.Conversation:
        view = await self.conversations.create(
            principal=caller(),
            app_id=request.app_id,
            name=request.name,
            mode=MODE_NAMES.get(request.mode, "chat"),
            origin=ORIGINS.get(request.origin, "dify"),
        )
        return pb.conversation(view.record, view.summary)

    async def ListConversations(
        self, request: chat_pb2.ListConversationsRequest, context: Any
    ) -> chat_pb2.ListConversationsResponse:
        page, limit = request.page.page or 1, request.page.limit
        found = await self.conversations.list_conversations(
            principal=caller(),
            app_id=request.app_id,
            mode=MODE_NAMES.get(request.mode, ""),
            origin=ORIGINS.get(request.origin, ""),
            keyword=request.keyword,
            page=page,
            limit=limit,
        )
        size = limit or len(found.records)
        return chat_pb2.ListConversationsResponse(
            conversations=[pb.conversation(r, found.summaries.get(r.id)) for r in found.records],
            page=common_pb2.PageInfo(
                page=page, limit=size, total=found.total, has_more=bool(limit) and page * limit < found.total
            ),
        )

    async def GetConversation(
        self, request: chat_pb2.GetConversationRequest, context: Any
    ) -> chat_pb2.ConversationDetail:
        view = await self.conversations.get(
            principal=caller(),
            ref=request.conversation_id,
            app_id=request.app_id,
            mode=MODE_NAMES.get(request.mode, ""),
            include_messages=request.include_messages,
        )
        return pb.conversation_detail(view)

    async def DeleteConversation(self, request: chat_pb2.DeleteConversationRequest, context: Any) -> common_pb2.Empty:
        await self.conversations.delete(
            principal=caller(),
            ref=request.conversation_id,
            app_id=request.app_id,
            mode=MODE_NAMES.get(request.mode, ""),
        )
        return common_pb2.Empty()

    async def RenameConversation(
        self, request: chat_pb2.RenameConversationRequest, context: Any
    ) -> chat_pb2.Conversation:
        view = await self.conversations.rename(
            principal=caller(), ref=request.conversation_id, name=request.name, auto_generate=request.auto_generate
        )
        return pb.conversation(view.record, view.summary)

    async def GenerateTitle(
        self, request: chat_pb2.GenerateTitleRequest, context: Any
    ) -> chat_pb2.GenerateTitleResponse:
        history = [Turn(m.role, m.content) for m in request.history]
        _, title = await self.conversations.generate_title(
            principal=caller(), ref=request.conversation_id, history=history
        )
        return chat_pb2.GenerateTitleResponse(title=title)

    async def ListMessages(self, request: chat_pb2.ListMessagesRequest, context: Any) -> chat_pb2.ListMessagesResponse:
        views, has_more, limit = await self.messages.list_messages(
            principal=caller(),
            app_id=request.app_id,
            conversation_id=request.conversation_id,
            first_id=request.first_id,
            limit=request.limit,
        )
        return chat_pb2.ListMessagesResponse(messages=[pb.message(v) for v in views], has_more=has_more, limit=limit)

    async def GetMessage(self, request: chat_pb2.GetMessageRequest, context: Any) -> chat_pb2.Message:
        view = await self.messages.get_message(principal=caller(), app_id=request.app_id, message_id=request.message_id)
        return pb.message(view)

    async def SuggestQuestions(
        self, request: chat_pb2.SuggestQuestionsRequest, context: Any
    ) -> chat_pb2.SuggestQuestionsResponse:
        questions = await self.messages.suggest(
            principal=caller(), app_id=request.app_id, message_id=request.message_id
        )
        return chat_pb2.SuggestQuestionsResponse(questions=questions)

    async def SetFeedback(self, request: chat_pb2.SetFeedbackRequest, context: Any) -> common_pb2.Empty:
        if request.rating not in RATING_NAMES:
            raise InvalidArgument("rating must be like, dislike or null", field="rating")
        await self.messages.set_feedback(
            principal=caller(),
            app_id=request.app_id,
            message_id=request.message_id,
            rating=RATING_NAMES[request.rating],
            content=request.content,
            from_source=request.from_source or "user",
        )
        return common_pb2.Empty()

    async def GetMessageSources(
        self, request: chat_pb2.GetMessageSourcesRequest, context: Any
    ) -> chat_pb2.MessageSources:
        searches, images = await self.messages.sources(
            principal=caller(),
            conversation_ref=request.conversation_id,
            message_id=request.message_id,
            kind=request.type,
        )
        return chat_pb2.MessageSources(searches=pb.parsed(searches, chat_pb2.RetrieverResource), images=images)

    async def CreateAnnotation(self, request: chat_pb2.CreateAnnotationRequest, context: Any) -> chat_pb2.Annotation:
        record = await self.messages.create_annotation(
            principal=caller(),
            app_id=request.app_id,
            message_id=request.message_id,
            question=request.question,
            answer=request.answer,
        )
        return pb.annotation(record)

    async def CountAnnotations(
        self, request: chat_pb2.CountAnnotationsRequest, context: Any
    ) -> chat_pb2.CountAnnotationsResponse:
        count = await self.messages.count_annotations(principal=caller(), app_id=request.app_id)
        return chat_pb2.CountAnnotationsResponse(count=count)

    async def GetStatistics(
        self, request: chat_pb2.GetStatisticsRequest, context: Any
    ) -> chat_pb2.GetStatisticsResponse:
        if request.metric not in METRIC_NAMES:
            raise InvalidArgument(f"metric must be one of {', '.join(METRICS)}", field="metric")
        rows = await self.messages.statistics(
            principal=caller(),
            app_id=request.app_id,
            metric=METRIC_NAMES[request.metric],
            start=request.start.ToDatetime(tzinfo=UTC) if request.HasField("start") else None,
            end=request.end.ToDatetime(tzinfo=UTC) if request.HasField("end") else None,
            timezone=request.timezone,
        )
        return chat_pb2.GetStatisticsResponse(rows=[pb.stat_row(r) for r in rows])
