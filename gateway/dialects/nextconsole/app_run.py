"""NextConsole app runs: init_session, and the OpenAI-compatible v2/chat/completions (stream and whole)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response, StreamingResponse
from google.protobuf import json_format
from meshconsole.chat.v1 import chat_pb2
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients, Settings
from gateway.dialects.nextconsole.envelope import ok
from gateway.dialects.nextconsole.schemas import AppSession, ChatCompletion, NextConsoleEnvelope
from gateway.errors import http_status, public_error
from gateway.fields import FreeForm
from gateway.streaming import SSE_HEADERS, GenerationStream, collect, open_generation, relay
from services.kit.errors import InvalidArgument, MeshError

router = APIRouter(prefix="/next_console/app_center/app_run")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class InitSessionBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    app_code: str = Field(min_length=1, max_length=64)
    session_code: str = Field(default="", max_length=64)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str = Field(pattern="^(system|user|assistant|tool|developer)$")
    content: str | list[dict[str, Any]] = ""


class CompletionBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    app_code: str = Field(min_length=1, max_length=64)
    messages: list[ChatMessage] = Field(min_length=1, max_length=500)
    session_code: str = Field(default="", max_length=64)
    model: str = Field(default="", max_length=128)
    stream: bool = False
    workflow_params: FreeForm = Field(default_factory=dict)
    attachments: list[Any] = Field(default_factory=list, max_length=50)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1, le=1_000_000)


def _text(content: str | list[dict[str, Any]]) -> str:
    if isinstance(content, str):
        return content
    return "".join(str(part.get("text", "")) for part in content if part.get("type", "text") == "text")


def _fmt(stamp: Any, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(stamp.seconds, tz=tz).strftime(TIME_FORMAT)


@router.post("/init_session", response_model=NextConsoleEnvelope[AppSession])
async def init_session(
    principal: CurrentPrincipal, clients: Clients, settings: Settings, body: InitSessionBody
) -> dict[str, Any]:
    """Create a session of an app (or return the named one) before running it."""
    reply = await clients.call(
        clients.conversations.InitSession,
        chat_pb2.InitSessionRequest(app_code=body.app_code, session_code=body.session_code),
    )
    tz = ZoneInfo(settings.timezone)
    session = json_format.MessageToDict(
        reply, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    session.update(
        id=int(reply.id),
        user_id=int(reply.user_id),
        session_assistant_id=int(reply.session_assistant_id),
        create_time=_fmt(reply.create_time, tz),
        update_time=_fmt(reply.update_time, tz),
        session_search_engine_language_type={},
    )
    for nullable in (
        "session_cancel_reason",
        "session_customer_evaluation",
        "session_customer_score",
        "session_shop_assistant_id",
        "session_task_id",
        "session_task_params",
        "session_task_params_schema",
        "session_task_type",
    ):
        session.setdefault(nullable, None)
    return ok(session)


def _chunk(
    event: chat_pb2.GenerateEvent,
    model: str,
    delta: dict[str, Any],
    finish: str | None = None,
    usage: dict[str, int] | None = None,
) -> bytes:
    payload: dict[str, Any] = {
        "id": f"chatcmpl-{event.message_id}",
        "object": "chat.completion.chunk",
        "created": event.created_at,
        "model": model,
        "session_code": event.conversation_id,
        "task_id": event.task_id,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage is not None:
        payload["usage"] = usage
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def _usage(end: chat_pb2.MessageEnd) -> dict[str, int]:
    usage = end.usage
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def _error_frame(error: MeshError, status: int) -> bytes:
    error = public_error(error)
    body = {
        "error": {"message": error.message, "type": error.reason, "code": status},
        "error_code": status,
        "error_message": error.message,
        "error_status": True,
    }
    return b"data: " + orjson.dumps(body) + b"\n\n"


_DELTA_TAIL = b'},"finish_reason":null}]}\n\n'


class CompletionChunks:
    """OpenAI `chat.completion.chunk` frames, with the role on the first delta and usage on the last chunk.

    A delta frame is the stream's pre-encoded head plus the JSON of its text: the same bytes as _chunk's, at the
    cost of one string encoding per chunk."""

    keepalive = b": keep-alive\n\n"

    def __init__(self, model: str) -> None:
        self.model = model
        self.sent_role = False
        self._head = b""

    def _delta_frame(self, item: chat_pb2.GenerateEvent, field: bytes, text: str) -> bytes:
        if not self._head:
            whole = _chunk(item, self.model, {})
            self._head = whole[: whole.index(b'"delta":{') + len(b'"delta":{')]
        role = b"" if self.sent_role else b'"role":"assistant",'
        self.sent_role = True
        return b"".join((self._head, role, field, orjson.dumps(text), _DELTA_TAIL))

    def frame(self, item: chat_pb2.GenerateEvent) -> bytes | None:
        kind = item.WhichOneof("event")
        if kind == "message_start":
            self.model = item.message_start.model or self.model
            return None
        if kind == "message_end":
            end = item.message_end
            finish = "stop" if end.finish_reason in ("", "stopped") else end.finish_reason
            return _chunk(item, self.model, {}, finish, usage=_usage(end))
        if kind == "text_delta":
            return self._delta_frame(item, b'"content":', item.text_delta.text)
        if kind == "reasoning_delta":
            return self._delta_frame(item, b'"reason_content":', item.reasoning_delta.text)
        return None

    def error(self, error: MeshError, last: chat_pb2.GenerateEvent | None) -> bytes:
        return _error_frame(error, http_status(error))


def _stream(stream: GenerationStream) -> AsyncIterator[bytes]:
    return relay(stream, CompletionChunks(stream.first.message_start.model), epilogue=b"data: [DONE]\n\n")


async def _whole(stream: GenerationStream) -> Response:
    whole = await collect(stream)
    first = whole.first
    message: dict[str, Any] = {"role": "assistant", "content": whole.text}
    if whole.reasoning:
        message["reason_content"] = whole.reasoning
    finish = "stop"
    if whole.end is not None and whole.end.finish_reason not in ("", "stopped"):
        finish = whole.end.finish_reason
    return JSONResponse(
        {
            "id": f"chatcmpl-{first.message_id}",
            "object": "chat.completion",
            "created": first.created_at or int(time.time()),
            "model": first.message_start.model,
            "session_code": first.conversation_id,
            "task_id": first.task_id,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": _usage(whole.end) if whole.end else {},
        }
    )


@router.post(
    "/v2/chat/completions",
    response_model=None,
    responses={
        200: {
            "model": ChatCompletion,
            "content": {"text/event-stream": {}},
            "description": "stream=false: one chat.completion; stream=true: chat.completion.chunk events, then [DONE]",
        }
    },
)
async def chat_completions(
    principal: CurrentPrincipal, clients: Clients, settings: Settings, body: CompletionBody
) -> Response:
    """OpenAI-compatible run of a published app; `reason_content` carries reasoning deltas."""
    last_user = max((i for i, m in enumerate(body.messages) if m.role == "user"), default=-1)
    if last_user < 0 or not _text(body.messages[last_user].content).strip():
        raise InvalidArgument("messages must end with a non-empty user message", field="messages")
    request_message = chat_pb2.GenerateRequest(
        app_id=body.app_code,
        mode=chat_pb2.CONVERSATION_MODE_CHAT,
        origin=chat_pb2.ORIGIN_NEXTCONSOLE,
        conversation_id=body.session_code,
        query=_text(body.messages[last_user].content),
        history=[chat_pb2.InputMessage(role=m.role, content=_text(m.content)) for m in body.messages[:last_user]],
        model=body.model,
    )
    if body.workflow_params:
        request_message.workflow_params.update(body.workflow_params)
        request_message.inputs.update(body.workflow_params)
    for name in ("temperature", "top_p", "max_tokens"):
        value = getattr(body, name)
        if value is not None:
            setattr(request_message.params, name, value)
    stream = await open_generation(
        clients.generation.Generate,
        request_message,
        principal=principal,
        timeout_s=settings.gateway_stream_timeout_s,
    )
    if body.stream:
        return StreamingResponse(_stream(stream), media_type="text/event-stream", headers=SSE_HEADERS)
    return await _whole(stream)
