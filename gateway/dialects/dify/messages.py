"""Dify chat-messages and completion-messages (SSE or blocking) and their stop routes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal, cast

import orjson
from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse, Response, StreamingResponse
from google.protobuf import struct_pb2
from meshconsole.chat.v1 import chat_pb2
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth import CurrentPrincipal
from gateway.clients import ServiceClients
from gateway.config import GatewaySettings
from gateway.deps import Clients, Settings
from gateway.dialects.dify.conversation_shapes import metadata
from gateway.dialects.dify.schemas import DifyBlockingMessage, DifyResult, sse
from gateway.errors import http_status, public_error
from gateway.fields import FreeForm
from gateway.streaming import SSE_HEADERS, GenerationStream, collect, open_generation, relay
from services.kit.context import Principal
from services.kit.errors import InvalidArgument, MeshError

router = APIRouter(prefix="/console/api/apps/{app_id}")
AppId = Annotated[uuid.UUID, Path(description="the app's id")]
STREAM_DESCRIPTION = (
    "Dify SSE: `message` and `message_end` events (agent apps: `agent_thought` per step and `agent_message` for the "
    "answer), `ping` keep-alives, an `error` event on failure"
)


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    inputs: FreeForm = Field(default_factory=dict)
    query: str = Field(default="", max_length=100_000)
    response_mode: Literal["streaming", "blocking"] = "streaming"
    conversation_id: str = Field(default="", max_length=64)
    parent_message_id: str | None = Field(default=None, max_length=64)
    files: list[dict[str, Any]] = Field(default_factory=list, max_length=20)
    model_config_: dict[str, Any] | None = Field(default=None, alias="model_config")
    retriever_from: str = Field(default="dev", max_length=32)


def _frame(payload: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def _error_payload(event: chat_pb2.GenerateEvent | None, error: MeshError) -> dict[str, Any]:
    error = public_error(error)
    return {
        "event": "error",
        "task_id": event.task_id if event else "",
        "message_id": event.message_id if event else "",
        "conversation_id": event.conversation_id if event else "",
        "status": http_status(error),
        "code": error.reason,
        "message": error.message,
    }


class DifyEvents:
    """Dify's SSE events: `message` (reasoning wrapped in <think>), `message_end` with usage and sources, `ping`.

    An agent run (its first event is a step) sends `agent_thought` for every step as it begins, calls tools and gets
    their observations (same id), and its text as `agent_message`, as Dify's agent apps do.
    """

    keepalive = b"event: ping\n\n"

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.thinking = False
        self.agent = False

    def frame(self, item: chat_pb2.GenerateEvent) -> bytes | None:
        kind = item.WhichOneof("event")
        base = {
            "task_id": item.task_id,
            "id": item.message_id,
            "message_id": item.message_id,
            "conversation_id": item.conversation_id,
        }
        if kind == "agent_thought":
            self.agent = True
            return _frame({"event": "agent_thought", **base, **agent_thought_event(item.agent_thought)})
        if kind == "text_delta" or kind == "reasoning_delta":
            text = item.text_delta.text if kind == "text_delta" else item.reasoning_delta.text
            if kind == "reasoning_delta" and not self.thinking:
                text, self.thinking = "<think>\n" + text, True
            elif kind == "text_delta" and self.thinking:
                text, self.thinking = "\n</think>\n\n" + text, False
            event = "agent_message" if self.agent else "message"
            return _frame({"event": event, **base, "mode": self.mode, "answer": text, "created_at": item.created_at})
        if kind == "message_end":
            end = item.message_end
            return _frame({"event": "message_end", **base, "metadata": metadata(end.usage, end.retriever_resources)})
        return None

    def error(self, error: MeshError, last: chat_pb2.GenerateEvent | None) -> bytes:
        return _frame(_error_payload(last, error))


def agent_thought_event(row: chat_pb2.AgentThought) -> dict[str, Any]:
    """The fields of Dify's agent_thought event (the message ids come with every event)."""
    return {
        "id": row.id,
        "position": row.position,
        "thought": row.thought,
        "observation": row.observation,
        "tool": row.tool,
        "tool_labels": {},
        "tool_input": row.tool_input,
        "message_files": list(row.message_files),
        "created_at": row.created_at,
    }


def _sse(stream: GenerationStream, mode: str) -> AsyncIterator[bytes]:
    return relay(stream, DifyEvents(mode))


class _ThoughtTap:
    """A GenerationStream as collect() reads it, keeping the last version of each agent step on the way."""

    def __init__(self, stream: GenerationStream) -> None:
        self.stream = stream
        self.thoughts: dict[str, chat_pb2.AgentThought] = {}

    @property
    def first(self) -> chat_pb2.GenerateEvent:
        return self.stream.first

    def cancel(self) -> None:
        self.stream.cancel()

    async def events(self, *, keepalive_s: float) -> AsyncIterator[chat_pb2.GenerateEvent | MeshError | None]:
        async for item in self.stream.events(keepalive_s=keepalive_s):
            if isinstance(item, chat_pb2.GenerateEvent) and item.WhichOneof("event") == "agent_thought":
                self.thoughts[item.agent_thought.id] = item.agent_thought  # a step is sent again as it goes on
            yield item


def _stored_thought(row: chat_pb2.AgentThought, message_id: str) -> dict[str, Any]:
    """A step as Dify's message list shows it (agent_thoughts)."""
    return {
        "id": row.id,
        "chain_id": None,
        "message_id": message_id,
        "position": row.position,
        "thought": row.thought,
        "tool": row.tool,
        "tool_labels": {},
        "tool_input": row.tool_input,
        "created_at": row.created_at,
        "observation": row.observation,
        "files": list(row.message_files),
    }


async def _blocking(stream: GenerationStream, mode: str) -> Response:
    tap = _ThoughtTap(stream)
    whole = await collect(cast(GenerationStream, tap))
    first = whole.first
    body = {
        "event": "message",
        "task_id": first.task_id,
        "id": first.message_id,
        "message_id": first.message_id,
        "conversation_id": first.conversation_id,
        "mode": mode,
        "answer": whole.text,
        "metadata": metadata(whole.end.usage, whole.end.retriever_resources)
        if whole.end
        else {"usage": {}, "retriever_resources": []},
        "created_at": first.created_at,
    }
    if tap.thoughts:  # agent apps: the steps, as the message list returns them afterwards
        ordered = sorted(tap.thoughts.values(), key=lambda t: t.position)
        body["agent_thoughts"] = [_stored_thought(t, first.message_id) for t in ordered]
    return JSONResponse(body)


async def _run(
    clients: ServiceClients,
    settings: GatewaySettings,
    principal: Principal,
    app_id: uuid.UUID,
    body: MessageBody,
    *,
    completion: bool,
) -> Response:
    if not completion and not body.query.strip():
        raise InvalidArgument("query is required", field="query")
    if body.conversation_id:
        try:
            uuid.UUID(body.conversation_id)
        except ValueError:
            raise InvalidArgument("conversation_id must be a UUID", field="conversation_id") from None
    inputs = struct_pb2.Struct()
    inputs.update(body.inputs)
    generate = chat_pb2.GenerateRequest(
        app_id=str(app_id),
        mode=chat_pb2.CONVERSATION_MODE_COMPLETION if completion else chat_pb2.CONVERSATION_MODE_CHAT,
        origin=chat_pb2.ORIGIN_DIFY,
        conversation_id=body.conversation_id,
        query=body.query,
        inputs=inputs,
        parent_message_id=body.parent_message_id or "",
    )
    if body.model_config_:
        generate.model_config_override.update(body.model_config_)
    stream = await open_generation(
        clients.generation.Generate, generate, principal=principal, timeout_s=settings.gateway_stream_timeout_s
    )
    mode = "completion" if completion else "chat"
    if body.response_mode == "blocking":
        return await _blocking(stream, mode)
    return StreamingResponse(_sse(stream, mode), media_type="text/event-stream", headers=SSE_HEADERS)


@router.post("/chat-messages", response_model=None, responses=sse(STREAM_DESCRIPTION, DifyBlockingMessage))
async def chat_messages(
    clients: Clients, settings: Settings, principal: CurrentPrincipal, app_id: AppId, body: MessageBody
) -> Response:
    """Send a chat message; SSE `message`/`message_end` events, or one JSON object when blocking."""
    return await _run(clients, settings, principal, app_id, body, completion=False)


@router.post("/completion-messages", response_model=None, responses=sse(STREAM_DESCRIPTION, DifyBlockingMessage))
async def completion_messages(
    clients: Clients, settings: Settings, principal: CurrentPrincipal, app_id: AppId, body: MessageBody
) -> Response:
    """Run a completion app with its inputs."""
    return await _run(clients, settings, principal, app_id, body, completion=True)


async def _stop(clients: ServiceClients, app_id: uuid.UUID, task_id: str) -> dict[str, str]:
    await clients.call(
        clients.generation.StopGeneration, chat_pb2.StopGenerationRequest(task_id=task_id, app_id=str(app_id))
    )
    return {"result": "success"}


@router.post("/chat-messages/{task_id}/stop", response_model=DifyResult)
async def stop_chat(clients: Clients, principal: CurrentPrincipal, app_id: AppId, task_id: str) -> dict[str, str]:
    """Stop a running chat generation, whichever replica runs it."""
    return await _stop(clients, app_id, task_id)


@router.post("/completion-messages/{task_id}/stop", response_model=DifyResult)
async def stop_completion(clients: Clients, principal: CurrentPrincipal, app_id: AppId, task_id: str) -> dict[str, str]:
    """Stop a running completion generation."""
    return await _stop(clients, app_id, task_id)
