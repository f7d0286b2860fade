"""Dify console message reads: the chat-messages page, one message, and suggested questions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from meshconsole.chat.v1 import chat_pb2

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients
from gateway.dialects.dify.conversation_shapes import message_detail
from gateway.dialects.dify.envelope import PREFIX
from gateway.dialects.dify.schemas import DifyList, DifyMessage, DifyMessagePage
from gateway.dialects.dify.shapes import uuid_param

router = APIRouter(prefix=f"{PREFIX}/apps/{{app_id}}")
# Above the chat service's own upstream timeout, so its clearer error arrives first.
LLM_CALL_TIMEOUT_S = 130.0


@router.get("/chat-messages", response_model=DifyMessagePage)
async def list_chat_messages(
    clients: Clients,
    principal: CurrentPrincipal,
    app_id: str,
    conversation_id: Annotated[str, Query()],
    first_id: Annotated[str, Query()] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """The `limit` messages before first_id (or the newest), oldest first, and whether older ones exist."""
    query = chat_pb2.ListMessagesRequest(
        app_id=uuid_param(app_id, field="app_id"),
        conversation_id=uuid_param(conversation_id, field="conversation_id"),
        first_id=uuid_param(first_id, field="first_id") if first_id else "",
        limit=limit,
    )
    reply = await clients.call(clients.conversations.ListMessages, query, principal=principal)
    return {"limit": limit, "has_more": reply.has_more, "data": [message_detail(m) for m in reply.messages]}


@router.get("/messages/{message_id}", response_model=DifyMessage)
async def get_message(clients: Clients, principal: CurrentPrincipal, app_id: str, message_id: str) -> dict[str, Any]:
    """One message with its feedback, annotation and usage."""
    query = chat_pb2.GetMessageRequest(
        app_id=uuid_param(app_id, field="app_id"), message_id=uuid_param(message_id, field="message_id")
    )
    return message_detail(await clients.call(clients.conversations.GetMessage, query, principal=principal))


@router.get("/chat-messages/{message_id}/suggested-questions", response_model=DifyList[str])
async def suggested_questions(
    clients: Clients, principal: CurrentPrincipal, app_id: str, message_id: str
) -> dict[str, Any]:
    """Three follow-up questions from the model, when the app enables suggested_questions_after_answer."""
    query = chat_pb2.SuggestQuestionsRequest(
        app_id=uuid_param(app_id, field="app_id"), message_id=uuid_param(message_id, field="message_id")
    )
    reply = await clients.call(
        clients.insights.SuggestQuestions, query, principal=principal, timeout_s=LLM_CALL_TIMEOUT_S
    )
    return {"data": list(reply.questions)}
