"""Dify console conversation logs: chat and completion conversation lists, detail and delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from meshconsole.chat.v1 import chat_pb2
from meshconsole.common.v1 import common_pb2

from gateway.auth import CurrentPrincipal
from gateway.clients import ServiceClients
from gateway.deps import Clients
from gateway.dialects.dify.conversation_shapes import chat_detail, chat_item, completion_detail, completion_item
from gateway.dialects.dify.envelope import PREFIX, page
from gateway.dialects.dify.schemas import (
    DifyChatConversation,
    DifyChatConversationItem,
    DifyCompletionConversation,
    DifyCompletionConversationItem,
    DifyPage,
)
from gateway.dialects.dify.shapes import uuid_param
from services.kit.context import Principal

router = APIRouter(prefix=f"{PREFIX}/apps/{{app_id}}")
MODES = {"chat": chat_pb2.CONVERSATION_MODE_CHAT, "completion": chat_pb2.CONVERSATION_MODE_COMPLETION}
PageNumber = Annotated[int, Query(ge=1, le=99_999, alias="page")]
Limit = Annotated[int, Query(ge=1, le=100)]
Keyword = Annotated[str, Query(max_length=255)]


async def _list(
    clients: ServiceClients, principal: Principal, app_id: str, *, kind: str, number: int, limit: int, keyword: str
) -> dict[str, Any]:
    query = chat_pb2.ListConversationsRequest(
        app_id=uuid_param(app_id, field="app_id"),
        mode=MODES[kind],
        keyword=keyword,
        page=common_pb2.PageRequest(page=number, limit=limit),
    )
    reply = await clients.call(clients.conversations.ListConversations, query, principal=principal)
    shape = chat_item if kind == "chat" else completion_item
    return page([shape(c) for c in reply.conversations], page=number, limit=limit, total=reply.page.total)


async def _get(
    clients: ServiceClients, principal: Principal, app_id: str, conversation_id: str, *, kind: str
) -> chat_pb2.ConversationDetail:
    """The conversation of this app and kind; chat answers one of the other kind as not found."""
    query = chat_pb2.GetConversationRequest(
        app_id=uuid_param(app_id, field="app_id"),
        conversation_id=uuid_param(conversation_id, field="conversation_id"),
        include_messages=kind == "completion",
        mode=MODES[kind],
    )
    return await clients.call(clients.conversations.GetConversation, query, principal=principal)  # type: ignore[no-any-return]


async def _delete(
    clients: ServiceClients, principal: Principal, app_id: str, conversation_id: str, *, kind: str
) -> Response:
    remove = chat_pb2.DeleteConversationRequest(
        app_id=uuid_param(app_id, field="app_id"),
        conversation_id=uuid_param(conversation_id, field="conversation_id"),
        mode=MODES[kind],
    )
    await clients.call(clients.conversations.DeleteConversation, remove, principal=principal)
    return Response(status_code=204)


@router.get("/chat-conversations", response_model=DifyPage[DifyChatConversationItem])
async def list_chat_conversations(
    clients: Clients,
    principal: CurrentPrincipal,
    app_id: str,
    number: PageNumber = 1,
    limit: Limit = 20,
    keyword: Keyword = "",
) -> dict[str, Any]:
    """A page of the app's chat conversations, latest activity first, with feedback counts."""
    return await _list(clients, principal, app_id, kind="chat", number=number, limit=limit, keyword=keyword)


@router.get("/completion-conversations", response_model=DifyPage[DifyCompletionConversationItem])
async def list_completion_conversations(
    clients: Clients,
    principal: CurrentPrincipal,
    app_id: str,
    number: PageNumber = 1,
    limit: Limit = 20,
    keyword: Keyword = "",
) -> dict[str, Any]:
    """A page of the app's completion runs, newest first, each with its exchange."""
    return await _list(clients, principal, app_id, kind="completion", number=number, limit=limit, keyword=keyword)


@router.get("/chat-conversations/{conversation_id}", response_model=DifyChatConversation)
async def get_chat_conversation(
    clients: Clients, principal: CurrentPrincipal, app_id: str, conversation_id: str
) -> dict[str, Any]:
    """One chat conversation with the config it ran with."""
    return chat_detail(await _get(clients, principal, app_id, conversation_id, kind="chat"))


@router.get("/completion-conversations/{conversation_id}", response_model=DifyCompletionConversation)
async def get_completion_conversation(
    clients: Clients, principal: CurrentPrincipal, app_id: str, conversation_id: str
) -> dict[str, Any]:
    """One completion run with its message in full."""
    return completion_detail(await _get(clients, principal, app_id, conversation_id, kind="completion"))


@router.delete("/chat-conversations/{conversation_id}", status_code=204)
async def delete_chat_conversation(
    clients: Clients, principal: CurrentPrincipal, app_id: str, conversation_id: str
) -> Response:
    """Delete a chat conversation with its messages (204, as Dify)."""
    return await _delete(clients, principal, app_id, conversation_id, kind="chat")


@router.delete("/completion-conversations/{conversation_id}", status_code=204)
async def delete_completion_conversation(
    clients: Clients, principal: CurrentPrincipal, app_id: str, conversation_id: str
) -> Response:
    """Delete a completion run (204, as Dify)."""
    return await _delete(clients, principal, app_id, conversation_id, kind="completion")
