"""lbai chat: the AI partner and mini programs answer in one JSON reply; message history; build by chat."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from meshconsole.chat.v1 import chat_pb2
from meshconsole.common.v1 import common_pb2
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients, Settings
from gateway.dialects.lbai.envelope import ok, page
from gateway.dialects.lbai.schemas import ChatReply, HistoryMessage, LbaiEnvelope, LbaiPage

router = APIRouter(prefix="/ai-api/v1")
LLM_TIMEOUT_S = 300.0
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class UserQuestion(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: int = Field(default=0, ge=0, le=1)
    content: str = Field(max_length=20_000)


class FileAttach(BaseModel):
    model_config = ConfigDict(extra="ignore")

    file_id: str = Field(default="", max_length=64)
    url: str = Field(default="", max_length=4096)
    file_type: int = Field(default=1, ge=1, le=3)
    title: str = Field(default="", max_length=255)


class ChatBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    session_id: str = Field(min_length=1, max_length=64)
    user_question: UserQuestion
    mark_type: int | None = Field(default=None, ge=0, le=999)
    file_attachs: list[FileAttach] = Field(default_factory=list, max_length=7)


class BuildBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    command_session_id: str = Field(min_length=1, max_length=64)
    user_question: UserQuestion


def _question(question: UserQuestion) -> chat_pb2.UserQuestion:
    if question.type == 1:
        return chat_pb2.UserQuestion(voice_file_id=question.content)
    return chat_pb2.UserQuestion(text=question.content)


def _time(stamp: Any, timezone: str) -> str:
    return datetime.fromtimestamp(stamp.seconds, tz=ZoneInfo(timezone)).strftime(TIME_FORMAT)


def _reply(reply: chat_pb2.SessionChatReply, timezone: str) -> dict[str, Any]:
    return {
        "id": reply.id,
        "session_id": reply.session_id,
        "create_time": _time(reply.create_time, timezone),
        "message": {"text": reply.text, "text_type": reply.text_type or None, "file_attachs": []},
    }


def _chat_request(body: ChatBody) -> chat_pb2.SessionChatRequest:
    return chat_pb2.SessionChatRequest(
        session_id=body.session_id,
        user_question=_question(body.user_question),
        mark_type=body.mark_type or 0,  # type: ignore[arg-type]
        file_attachs=[
            chat_pb2.Attachment(file_id=f.file_id, url=f.url, kind=f.file_type, name=f.title)  # type: ignore[arg-type]
            for f in body.file_attachs
        ],
    )


@router.post("/chat/completions", response_model=LbaiEnvelope[ChatReply])
async def chat_completions(
    principal: CurrentPrincipal, clients: Clients, settings: Settings, body: ChatBody
) -> dict[str, Any]:
    """Ask the AI partner (or any session) a question; the answer comes back whole."""
    reply = await clients.call(clients.generation.SessionChat, _chat_request(body), timeout_s=LLM_TIMEOUT_S)
    return ok(_reply(reply, settings.timezone))


@router.post("/miniProgram/chat", response_model=LbaiEnvelope[ChatReply])
async def mini_program_chat(
    principal: CurrentPrincipal, clients: Clients, settings: Settings, body: ChatBody
) -> dict[str, Any]:
    """Chat with a mini program through its session_id."""
    reply = await clients.call(clients.generation.MiniProgramChat, _chat_request(body), timeout_s=LLM_TIMEOUT_S)
    return ok(_reply(reply, settings.timezone))


@router.post("/miniProgram/create", response_model=LbaiEnvelope[ChatReply])
async def mini_program_create(
    principal: CurrentPrincipal, clients: Clients, settings: Settings, body: BuildBody
) -> dict[str, Any]:
    """Build a mini program by chat in its command session; the proposed settings are saved."""
    build = chat_pb2.BuildMiniProgramRequest(
        command_session_id=body.command_session_id, user_question=_question(body.user_question)
    )
    reply = await clients.call(clients.generation.BuildMiniProgram, build, timeout_s=LLM_TIMEOUT_S)
    return ok(_reply(reply, settings.timezone))


@router.get("/chat/msgList", response_model=LbaiEnvelope[LbaiPage[HistoryMessage]])
async def message_list(
    principal: CurrentPrincipal,
    clients: Clients,
    settings: Settings,
    session_id: str = Query(min_length=1, max_length=64),
    page_size: int = Query(default=10, ge=1, le=100),
    page_num: int = Query(default=1, ge=1),
) -> dict[str, Any]:
    """A session's messages, newest page first, each page in time order."""
    reply = await clients.call(
        clients.conversations.ListSessionMessages,
        chat_pb2.ListSessionMessagesRequest(
            session_id=session_id, page=common_pb2.PageRequest(page=page_num, limit=page_size)
        ),
    )
    items = [
        {
            "id": item.id,
            "header_url": item.header_url,
            "message": {
                "text": item.text,
                "text_type": item.text_type or None,
                "file_attachs": [
                    {"file_id": f.file_id, "url": f.url, "file_type": int(f.kind), "url_invalid": int(f.url_invalid)}
                    for f in item.file_attachs
                ],
            },
            "create_time": _time(item.create_time, settings.timezone),
            "user_type": "AI" if item.user_type == chat_pb2.SPEAKER_TYPE_AI else "human",
        }
        for item in reply.items
    ]
    return ok(page(items, page_num=page_num, page_size=page_size, total=int(reply.page.total)))
