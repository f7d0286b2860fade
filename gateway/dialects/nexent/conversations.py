"""Nexent conversation management under /api/conversation, in the `{"code": 0, "message": "success", "data"}` shape.

Nexent's conversation ids are numbers: a conversation's numeric id (seq) is what these routes hand out, and they
also accept the conversation's uuid, so a conversation made through any dialect can be used here.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from meshconsole.chat.v1 import chat_pb2
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients
from gateway.dialects.nexent.envelope import conversation_ok
from gateway.dialects.nexent.schemas import ConversationDetail, ConversationItem, Envelope, Sources
from services.kit.errors import InvalidArgument

router = APIRouter(prefix="/api/conversation")
DEFAULT_TITLE = "新对话"
OPINIONS = {"Y": chat_pb2.RATING_LIKE, "N": chat_pb2.RATING_DISLIKE, None: chat_pb2.RATING_UNSPECIFIED}
FLAGS = {chat_pb2.RATING_LIKE: "Y", chat_pb2.RATING_DISLIKE: "N"}
# Above the chat service's own upstream timeout, so its clearer error arrives first.
LLM_CALL_TIMEOUT_S = 130.0
ConversationRef = StrictInt | StrictStr


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CreateBody(_Body):
    title: StrictStr = Field(default=DEFAULT_TITLE, max_length=255)


class RenameBody(_Body):
    conversation_id: ConversationRef
    name: StrictStr = Field(max_length=255)


class HistoryItem(_Body):
    role: Literal["user", "assistant", "system"]
    content: StrictStr = Field(max_length=100_000)


class TitleBody(_Body):
    conversation_id: ConversationRef
    history: list[HistoryItem] = Field(default_factory=list, max_length=200)


class SourcesBody(_Body):
    conversation_id: ConversationRef | None = None
    message_id: StrictStr | None = None
    type: Literal["all", "search", "image"] = "all"


class OpinionBody(_Body):
    message_id: StrictStr
    opinion: Literal["Y", "N"] | None = None


def ref(value: int | str, *, field: str = "conversation_id") -> str:
    """A conversation reference as the chat service takes it: digits (Nexent's numeric id) or a uuid."""
    if isinstance(value, int):
        if value <= 0:
            raise InvalidArgument(f"{field} must be a positive number", field=field)
        return str(value)
    text = value.strip()
    # Digits (ASCII only: "³".isdigit() is true too) or a uuid; anything else names no conversation.
    if not (text.isascii() and text.isdigit() and len(text) <= 18) and not _is_uuid(text):
        raise InvalidArgument(f"{field} must be a conversation's number or uuid", field=field)
    return text


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def millis(stamp: Any) -> int:
    return int(stamp.seconds) * 1000 + int(stamp.nanos) // 1_000_000


def item(row: chat_pb2.Conversation) -> dict[str, Any]:
    """One entry of the conversation list."""
    return {
        "conversation_id": row.seq,
        "conversation_title": row.name,
        "create_time": millis(row.created_at),
        "update_time": millis(row.updated_at),
    }


def search(row: chat_pb2.RetrieverResource) -> dict[str, Any]:
    """One search result as Nexent shows it."""
    return {
        "title": row.title,
        "text": row.content,
        "source_type": row.source_type,
        "url": row.url,
        "filename": row.document_name,
        "published_date": row.published_date,
        "score": row.score,
        "score_details": {"accuracy": row.score_details.accurate, "semantic": row.score_details.semantic},
    }


def _units(message: chat_pb2.Message) -> list[dict[str, str]]:
    if message.agent_units:
        names = chat_pb2.AgentEventType
        return [
            {"type": names.Name(u.type).removeprefix("AGENT_EVENT_TYPE_").lower(), "content": u.content}
            for u in message.agent_units
        ]
    units = [{"type": "model_output_thinking", "content": message.reasoning}] if message.reasoning else []
    return [*units, {"type": "final_answer", "content": message.answer}]


def opinion_flag(message: chat_pb2.Message) -> str | None:
    """The message's own opinion, whoever reads it: the end-user rating update_opinion sets (Y, N or null)."""
    ratings = [f for f in message.feedbacks if f.from_source == "user"]
    latest = max(ratings, key=lambda f: (f.created_at.seconds, f.created_at.nanos), default=None)
    return FLAGS.get(latest.rating) if latest is not None else None


def exchange(message: chat_pb2.Message) -> list[dict[str, Any]]:
    """A stored exchange as Nexent's two history entries: the user's and the assistant's."""
    user = {
        "role": "user",
        "message": message.query,
        "message_id": message.id,
        "opinion_flag": None,
        "picture": [],
        "search": [],
        "minio_files": [{"object_name": f.file_id, "name": f.name, "url": f.url} for f in message.message_files],
    }
    assistant = {
        "role": "assistant",
        "message": _units(message),
        "message_id": message.id,
        "opinion_flag": opinion_flag(message),
        "picture": [f.url for f in message.answer_files if f.kind == chat_pb2.ATTACHMENT_KIND_IMAGE],
        "search": [search(r) for r in message.retriever_resources],
    }
    return [user, assistant]


@router.put("/create", response_model=Envelope[ConversationItem])
async def create_conversation(principal: CurrentPrincipal, clients: Clients, body: CreateBody) -> dict[str, Any]:
    """A new, empty conversation on the caller's Nexent agent."""
    create = chat_pb2.CreateConversationRequest(name=body.title, origin=chat_pb2.ORIGIN_NEXENT)
    return conversation_ok(
        item(await clients.call(clients.conversations.CreateConversation, create, principal=principal))
    )


@router.get("/list", response_model=Envelope[list[ConversationItem]])
async def list_conversations(principal: CurrentPrincipal, clients: Clients) -> dict[str, Any]:
    """The caller's Nexent conversations, latest activity first."""
    query = chat_pb2.ListConversationsRequest(origin=chat_pb2.ORIGIN_NEXENT)
    reply = await clients.call(clients.conversations.ListConversations, query, principal=principal)
    return conversation_ok([item(c) for c in reply.conversations])


@router.post("/rename", response_model=Envelope[bool])
async def rename_conversation(principal: CurrentPrincipal, clients: Clients, body: RenameBody) -> dict[str, Any]:
    """Rename a conversation."""
    rename = chat_pb2.RenameConversationRequest(conversation_id=ref(body.conversation_id), name=body.name)
    await clients.call(clients.conversations.RenameConversation, rename, principal=principal)
    return conversation_ok(True)


@router.post("/sources", response_model=Envelope[Sources])
async def message_sources(principal: CurrentPrincipal, clients: Clients, body: SourcesBody) -> dict[str, Any]:
    """The search results and images behind one answer (or every answer of the conversation)."""
    query = chat_pb2.GetMessageSourcesRequest(
        conversation_id=ref(body.conversation_id) if body.conversation_id is not None else "",
        message_id=body.message_id or "",
        type=body.type,
    )
    reply = await clients.call(clients.conversations.GetMessageSources, query, principal=principal)
    return conversation_ok({"searches": [search(s) for s in reply.searches], "images": list(reply.images)})


@router.post("/generate_title", response_model=Envelope[str])
async def generate_title(principal: CurrentPrincipal, clients: Clients, body: TitleBody) -> dict[str, Any]:
    """The model writes a short title from the history (or the stored messages); it becomes the name."""
    title = chat_pb2.GenerateTitleRequest(
        conversation_id=ref(body.conversation_id),
        history=[chat_pb2.InputMessage(role=h.role, content=h.content) for h in body.history],
    )
    reply = await clients.call(clients.insights.GenerateTitle, title, principal=principal, timeout_s=LLM_CALL_TIMEOUT_S)
    return conversation_ok(reply.title)


@router.post("/message/update_opinion", response_model=Envelope[bool])
async def update_opinion(principal: CurrentPrincipal, clients: Clients, body: OpinionBody) -> dict[str, Any]:
    """Like (Y), dislike (N) or clear (null) an answer."""
    rate = chat_pb2.SetFeedbackRequest(
        message_id=body.message_id.strip(), rating=OPINIONS[body.opinion], from_source="user"
    )
    await clients.call(clients.conversations.SetFeedback, rate, principal=principal)
    return conversation_ok(True)


ConversationPath = Annotated[str, Path(max_length=64)]


@router.delete("/{conversation_id}", response_model=Envelope[bool])
async def delete_conversation(
    principal: CurrentPrincipal, clients: Clients, conversation_id: ConversationPath
) -> dict[str, Any]:
    """Delete a conversation with its messages."""
    remove = chat_pb2.DeleteConversationRequest(conversation_id=ref(conversation_id))
    await clients.call(clients.conversations.DeleteConversation, remove, principal=principal)
    return conversation_ok(True)


@router.get("/{conversation_id}", response_model=Envelope[ConversationDetail])
async def get_conversation(
    principal: CurrentPrincipal, clients: Clients, conversation_id: ConversationPath
) -> dict[str, Any]:
    """The conversation's history: each exchange as a user entry and an assistant entry."""
    query = chat_pb2.GetConversationRequest(conversation_id=ref(conversation_id), include_messages=True)
    detail = await clients.call(clients.conversations.GetConversation, query, principal=principal)
    history = [entry for m in detail.messages for entry in exchange(m)]
    return conversation_ok(
        {
            "conversation_id": detail.conversation.seq,
            "create_time": millis(detail.conversation.created_at),
            "message": history,
        }
    )
