"""Nexent agent runs: POST /api/agent/run streams `{"type", "content"}` frames; reload_config drops caches."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from fastapi import APIRouter
from fastapi.responses import Response
from meshconsole.chat.v1 import chat_pb2
from meshconsole.common.v1 import common_pb2
from pydantic import BaseModel, ConfigDict, Field

from gateway import streaming
from gateway.auth import CurrentPrincipal
from gateway.clients import ServiceClients
from gateway.deps import Clients, Settings
from gateway.dialects.nexent.schemas import ReloadConfig, sse
from gateway.errors import public_error
from gateway.streaming import SSE_HEADERS, EventStreamResponse, ServerStream, pump
from services.kit import grpc_client
from services.kit.context import Principal
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


UNIT_NAMES = {
    number: name.removeprefix("AGENT_EVENT_TYPE_").lower() for name, number in chat_pb2.AgentEventType.items()
}


class AgentFrames:
    """Nexent's `{"type", "content"}` process frames: the chat service sends the units, this only writes them."""

    keepalive = b": keep-alive\n\n"

    def frame(self, item: chat_pb2.AgentEvent) -> bytes | None:
        kind = UNIT_NAMES.get(item.unit.type)
        return _frame(kind, item.unit.content) if kind else None

    def error(self, error: MeshError) -> bytes:
        return _frame("error", public_error(error).message)

    def end(self, *, failed: bool) -> bytes:
        return b""


class AgentRunStream(ServerStream[chat_pb2.AgentEvent]):
    """A running RunAgent call whose first unit is awaited before the response starts."""

    async def wait_first(self, *, timeout_s: float) -> None:
        """Wait for the first unit; a failure before it (or the end without one) raises."""
        async with asyncio.timeout(timeout_s):
            while not self._buffer:
                self._ready.clear()
                await self._ready.wait()
        first = self._buffer[0]
        if isinstance(first, MeshError):
            raise first
        if not isinstance(first, chat_pb2.AgentEvent):
            raise MeshError("the agent run ended without events", reason="empty_stream")


async def open_run(
    clients: ServiceClients, request: chat_pb2.RunAgentRequest, *, principal: Principal, timeout_s: float
) -> AgentRunStream:
    """Start RunAgent and wait for its first unit (agent_new_run, sent once the conversation is known), so a refusal
    (an unknown conversation, no model) is an HTTP error in Nexent's envelope rather than an error frame."""
    release = streaming.STREAM_SLOTS.take()  # the gateway's stream limit: 429 with Retry-After past it
    try:
        call = clients.agents.RunAgent(request, timeout=timeout_s, metadata=grpc_client.outgoing_metadata(principal))
    except BaseException:
        release()
        raise
    call.add_done_callback(release)  # the slot is free once the call is over, however it ends
    stream = AgentRunStream(call)
    try:
        await stream.wait_first(timeout_s=timeout_s)
    except BaseException:
        stream.cancel()
        raise
    return stream


@router.post(
    "/run",
    response_model=None,
    response_class=EventStreamResponse,
    responses=sse('Nexent process frames: `data: {"type", "content"}`'),
)
async def run_agent(principal: CurrentPrincipal, clients: Clients, settings: Settings, body: AgentRunBody) -> Response:
    """Run the caller's agent (its model, knowledge bases and tools) on a query; steps stream as Nexent frames."""
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
    run = chat_pb2.RunAgentRequest(
        conversation_id="" if body.conversation_id in (None, "", 0) else str(body.conversation_id),
        query=body.query,
        history=[chat_pb2.InputMessage(role=h.role, content=h.content) for h in body.history],
        minio_files=files,
        is_debug=body.is_debug,
    )
    stream = await open_run(clients, run, principal=principal, timeout_s=settings.gateway_stream_timeout_s)
    return EventStreamResponse(pump(stream, AgentFrames()), headers=SSE_HEADERS)


@router.post("/reload_config", response_model=ReloadConfig)
async def reload_config(principal: CurrentPrincipal, clients: Clients) -> dict[str, Any]:
    """Drop cached agent configuration so the next run reads it afresh."""
    reply = await clients.call(clients.agents.ReloadAgentConfig, common_pb2.Empty())
    return {"success": reply.success, "message": reply.message, "status": "reloaded" if reply.success else "failed"}
