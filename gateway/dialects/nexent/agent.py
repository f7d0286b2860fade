"""Nexent agent runs: POST /api/agent/run streams `{"type", "content"}` frames; reload_config drops caches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter
from fastapi.responses import Response
from meshconsole.chat.v1 import chat_pb2
from meshconsole.common.v1 import common_pb2
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients, Settings
from gateway.dialects.nexent.schemas import ReloadConfig, sse
from gateway.errors import public_error
from gateway.streaming import SSE_HEADERS, EventStreamResponse, GenerationStream, open_generation, relay
from services.kit.errors import InvalidArgument, MeshError

router = APIRouter(prefix="/api/agent")


class HistoryItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str = Field(pattern="^(user|assistant|system)$")
    content: str = ""


class AgentRunBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    query: str = Field(max_length=100_000)
    history: list[HistoryItem] = Field(default_factory=list, max_length=500)
    minio_files: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    conversation_id: str | int | None = None
    is_debug: bool = False


def _frame(kind: str, content: str) -> bytes:
    return b"data: " + orjson.dumps({"type": kind, "content": content}) + b"\n\n"


class AgentFrames:
    """Nexent's `{"type", "content"}` process frames."""

    keepalive = b": keep-alive\n\n"

    def __init__(self, first: chat_pb2.GenerateEvent) -> None:
        self.first = first

    def frame(self, item: chat_pb2.GenerateEvent) -> bytes | None:
        kind = item.WhichOneof("event")
        if kind == "retriever_resources":
            found = [
                {
                    "title": r.title,
                    "text": r.content,
                    "source_type": r.source_type or "file",
                    "filename": r.document_name,
                    "url": r.url,
                    "score": r.score,
                    "score_details": {"accurate": r.score_details.accurate, "semantic": r.score_details.semantic},
                }
                for r in item.retriever_resources.resources
            ]
            return _frame("search_content", orjson.dumps(found).decode())
        if kind == "reasoning_delta":
            return _frame("model_output_thinking", item.reasoning_delta.text)
        if kind == "text_delta":
            return _frame("final_answer", item.text_delta.text)
        if kind == "message_end":
            usage = item.message_end.usage
            counts = {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
                "conversation_id": self.first.conversation_id,
                "message_id": self.first.message_id,
            }
            return _frame("token_count", orjson.dumps(counts).decode())
        return None

    def error(self, error: MeshError, last: chat_pb2.GenerateEvent | None) -> bytes:
        return _frame("error", public_error(error).message)


def _stream(stream: GenerationStream) -> AsyncIterator[bytes]:
    prologue = _frame("agent_new_run", "") + _frame("step_count", "步骤 1")
    return relay(stream, AgentFrames(stream.first), prologue=prologue)


@router.post(
    "/run",
    response_model=None,
    response_class=EventStreamResponse,
    responses=sse('Nexent process frames: `data: {"type", "content"}`'),
)
async def run_agent(principal: CurrentPrincipal, clients: Clients, settings: Settings, body: AgentRunBody) -> Response:
    """Run the caller's agent on a query; the answer streams as Nexent process frames."""
    if not body.query.strip():
        raise InvalidArgument("query must not be empty", field="query")
    files = [
        chat_pb2.Attachment(
            file_id=str(f.get("object_name") or f.get("file_id") or ""),
            name=str(f.get("name") or ""),
            url=str(f.get("url") or ""),
            kind=chat_pb2.ATTACHMENT_KIND_FILE,
        )
        for f in body.minio_files
    ]
    generate = chat_pb2.GenerateRequest(
        origin=chat_pb2.ORIGIN_NEXENT,
        mode=chat_pb2.CONVERSATION_MODE_CHAT,
        conversation_id="" if body.conversation_id in (None, "", 0) else str(body.conversation_id),
        query=body.query,
        history=[chat_pb2.InputMessage(role=h.role, content=h.content) for h in body.history],
        files=files,
    )
    stream = await open_generation(
        clients.generation.Generate, generate, principal=principal, timeout_s=settings.gateway_stream_timeout_s
    )
    return EventStreamResponse(_stream(stream), headers=SSE_HEADERS)


@router.post("/reload_config", response_model=ReloadConfig)
async def reload_config(principal: CurrentPrincipal, clients: Clients) -> dict[str, Any]:
    """Drop cached agent configuration so the next run reads it afresh."""
    reply = await clients.call(clients.agents.ReloadAgentConfig, common_pb2.Empty())
    return {"success": reply.success, "message": reply.message, "status": "reloaded" if reply.success else "failed"}
