"""ConversationService: conversations, messages, feedback, annotations and sessions; proto <-> domain only."""

from __future__ import annotations

from typing import Any

from meshconsole.chat.v1 import chat_pb2, chat_pb2_grpc
from meshconsole.common.v1 import common_pb2

from services.chat.conversations import shapes as pb
from services.chat.conversations.messages import MessageService
from services.chat.conversations.queries import ConversationQueries
from services.chat.conversations.service import ConversationService
from services.chat.conversations.sessions import init_session
from services.chat.insights.service import InsightsService
from services.kit.context import require_principal as caller
from services.kit.errors import InvalidArgument

RATING_NAMES: dict[int, str | None] = {
    chat_pb2.RATING_UNSPECIFIED: None,
    chat_pb2.RATING_LIKE: "like",
    chat_pb2.RATING_DISLIKE: "dislike",
}


class ConversationServicer(chat_pb2_grpc.ConversationServiceServicer):
    """Conversations, messages, feedback, annotations and app sessions."""

    def __init__(
        self,
        *,
        conversations: ConversationService,
        messages: MessageService,
        insights: InsightsService,
    ) -> None:
        self.conversations = conversations
        self.messages = messages
        self.insights = insights

    async def CreateConversation(
        self, request: chat_pb2.CreateConversationRequest, context: Any
    ) -> chat_pb2.Conversation:
        view = await self.conversations.create(
            principal=caller(),
            app_id=request.app_id,
            name=request.name,
            mode=pb.MODE_NAMES.get(request.mode, "chat"),
            origin=pb.ORIGIN_NAMES.get(request.origin, "dify"),
        )
        return pb.conversation(view.record, view.summary)

    async def ListConversations(
        self, request: chat_pb2.ListConversationsRequest, context: Any
    ) -> chat_pb2.ListConversationsResponse:
        page, limit = request.page.page or 1, request.page.limit
        found = await self.conversations.list_conversations(
            principal=caller(),
            app_id=request.app_id,
            mode=pb.MODE_NAMES.get(request.mode, ""),
            origin=pb.ORIGIN_NAMES.get(request.origin, ""),
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
            mode=pb.MODE_NAMES.get(request.mode, ""),
            include_messages=request.include_messages,
        )
        return pb.conversation_detail(view)

    async def DeleteConversation(self, request: chat_pb2.DeleteConversationRequest, context: Any) -> common_pb2.Empty:
        await self.conversations.delete(
            principal=caller(),
            ref=request.conversation_id,
            app_id=request.app_id,
            mode=pb.MODE_NAMES.get(request.mode, ""),
        )
        return common_pb2.Empty()

    async def RenameConversation(
        self, request: chat_pb2.RenameConversationRequest, context: Any
    ) -> chat_pb2.Conversation:
        if request.auto_generate:
            record, _ = await self.insights.generate_title(principal=caller(), ref=request.conversation_id, history=[])
            return pb.conversation(record, None)
        view = await self.conversations.rename(principal=caller(), ref=request.conversation_id, name=request.name)
        return pb.conversation(view.record, view.summary)

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

    async def InitSession(self, request: chat_pb2.InitSessionRequest, context: Any) -> chat_pb2.Session:
        domain = self.conversations
        session = await init_session(
            principal=caller(),
            store=domain.store,
            registry=domain.registry,
            app_configs=domain.app_configs,
            app_code=request.app_code,
            session_code=request.session_code,
        )
        return pb.session(session.conversation, llm_code=session.llm_code)

    async def ListSessionMessages(
        self, request: chat_pb2.ListSessionMessagesRequest, context: Any
    ) -> chat_pb2.ListSessionMessagesResponse:
        principal = caller()
        page = request.page.page or 1
        size = request.page.limit or 10
        if page < 1 or not 1 <= size <= 100:
            raise InvalidArgument("page_num must be >= 1 and page_size 1-100", field="page_size")
        store = self.conversations.store
        conversation = await store.get_conversation(principal=principal, conversation_id=request.session_id)
        first_item = (page - 1) * size
        rows, total = await ConversationQueries(store).exchange_items_page(
            conversation_id=conversation.id, first_item=first_item, item_count=size
        )
        return chat_pb2.ListSessionMessagesResponse(
            items=pb.session_items(rows, first_item=first_item, size=size),
            page=common_pb2.PageInfo(page=page, limit=size, total=total, has_more=page * size < total),
        )
