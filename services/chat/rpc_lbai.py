"""lbai RPCs: SessionChat, MiniProgramChat, BuildMiniProgram, ListSessionMessages; proto <-> domain only."""

from __future__ import annotations

from typing import Any

from google.protobuf import timestamp_pb2
from meshconsole.chat.v1 import chat_pb2
from meshconsole.common.v1 import common_pb2

from services.chat.conversation_store import ConversationQueries
from services.chat.lbai import LbaiChat, SessionReply, require_text_question
from services.chat.rpc_generation import caller
from services.chat.store import ChatStore
from services.kit.clock import as_utc
from services.kit.errors import InvalidArgument


def _question(request: Any) -> str:
    which = request.user_question.WhichOneof("question")
    require_text_question(question_type="voice" if which == "voice_file_id" else "text")
    return str(request.user_question.text)


def _attachments(request: chat_pb2.SessionChatRequest) -> list[dict[str, Any]]:
    return [
        {"file_id": a.file_id, "url": a.url, "file_type": int(a.kind), "name": a.name}
        for a in request.file_attachs
        if a.file_id or a.url
    ]


def _stamp(seconds: int) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=seconds)


def _reply(reply: SessionReply) -> chat_pb2.SessionChatReply:
    return chat_pb2.SessionChatReply(
        id=reply.message_id,
        session_id=reply.session_id,
        create_time=_stamp(reply.created_at),
        text=reply.text,
        text_type=reply.text_type,
    )


class LbaiRpcs:
    """Mixin of ChatServicer for lbai sessions."""

    lbai: LbaiChat
    store: ChatStore

    async def SessionChat(self, request: chat_pb2.SessionChatRequest, context: Any) -> chat_pb2.SessionChatReply:
        reply = await self.lbai.chat(
            principal=caller(),
            session_id=request.session_id,
            question=_question(request),
            mark_type=int(request.mark_type),
            attachments=_attachments(request),
            mini_program_only=False,
        )
        return _reply(reply)

    async def MiniProgramChat(self, request: chat_pb2.SessionChatRequest, context: Any) -> chat_pb2.SessionChatReply:
        reply = await self.lbai.chat(
            principal=caller(),
            session_id=request.session_id,
            question=_question(request),
            mark_type=int(request.mark_type),
            attachments=_attachments(request),
            mini_program_only=True,
        )
        return _reply(reply)

    async def BuildMiniProgram(
        self, request: chat_pb2.BuildMiniProgramRequest, context: Any
    ) -> chat_pb2.SessionChatReply:
        reply = await self.lbai.build_mini_program(
            principal=caller(), command_session_id=request.command_session_id, question=_question(request)
        )
        return _reply(reply)

    async def ListSessionMessages(
        self, request: chat_pb2.ListSessionMessagesRequest, context: Any
    ) -> chat_pb2.ListSessionMessagesResponse:
        principal = caller()
        page = request.page.page or 1
        size = request.page.limit or 10
        if page < 1 or not 1 <= size <= 100:
            raise InvalidArgument("page_num must be >= 1 and page_size 1-100", field="page_size")
        conversation = await self.store.get_conversation(principal=principal, conversation_id=request.session_id)
        first_item = (page - 1) * size
        rows, total = await ConversationQueries(self.store).exchange_items_page(
            conversation_id=conversation.id, first_item=first_item, item_count=size
        )
        items: list[chat_pb2.SessionMessage] = []
        offset = rows[0][1] if rows else first_item
        for message, _ in rows:  # newest first; each exchange is an AI item then the human item before it
            stamp = _stamp(int(as_utc(message.created_at).timestamp()))
            if message.answer or message.status != "generating":
                items.append(
                    chat_pb2.SessionMessage(
                        id=f"{message.id}-a",
                        user_type=chat_pb2.SPEAKER_TYPE_AI,
                        text=message.answer,
                        text_type=message.text_type,
                        create_time=stamp,
                    )
                )
            files = [
                chat_pb2.Attachment(
                    file_id=str(f.get("file_id", "")), url=str(f.get("url", "")), kind=f.get("file_type", 0)
                )
                for f in (message.extra or {}).get("message_files", [])
            ]
            items.append(
                chat_pb2.SessionMessage(
                    id=f"{message.id}-q",
                    user_type=chat_pb2.SPEAKER_TYPE_HUMAN,
                    text=message.query,
                    file_attachs=files,
                    create_time=stamp,
                )
            )
        # The first message on the page may have an item before the page start: cut to the page exactly.
        window = list(reversed(items[first_item - offset : first_item - offset + size]))
        return chat_pb2.ListSessionMessagesResponse(
            items=window,
            page=common_pb2.PageInfo(page=page, limit=size, total=total, has_more=page * size < total),
        )
