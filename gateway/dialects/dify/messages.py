"""Dify chat-messages and completion-messages (SSE or blocking) and their stop routes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from google.protobuf import struct_pb2
from meshconsole.chat.v1 import chat_pb2
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth import CurrentPrincipal
from gateway.errors import http_status, public_error
from gateway.streaming import SSE_HEADERS, GenerationStream, collect, open_generation, relay
from services.kit.context import Principal
from services.kit.errors import InvalidArgument, MeshError

router = APIRouter(prefix="/console/api/apps/{app_id}")
AppId = Annotated[uuid.UUID, Path(description="the app's id")]


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    inputs: dict[str, Any] = Field(default_factory=dict)
    query: str = Field(default="", max_length=100_000)
    response_mode: Literal["streaming", "blocking"] = "streaming"
    conversation_id: str = ""
    parent_message_id: str | None = None
    files: list[dict[str, Any]] = Field(default_factory=list)
    model_config_: dict[str, Any] | None = Field(default=None, alias="model_config")
    retriever_from: str = "dev"


def _usage(end: chat_pb2.MessageEnd) -> dict[str, Any]:
    usage = end.usage
    return {
        "prompt_tokens": usage.prompt_tokens,
        "prompt_unit_price": "0",
        "prompt_price_unit": "0",
        "prompt_price": "0",
        "completion_tokens": usage.completion_tokens,
        "completion_unit_price": "0",
        "completion_price_unit": "0",
        "completion_price": "0",
        "total_tokens": usage.total_tokens,
        "total_price": usage.total_price or "0",
        "currency": usage.currency or "USD",
        "latency": usage.latency,
        "time_to_first_token": usage.time_to_first_token,
    }


def resources(end: chat_pb2.MessageEnd) -> list[dict[str, Any]]:
    """Dify's retriever_resources: the knowledge chunks an answer used."""
    return [
        {
            "position": r.position,
            "dataset_id": r.dataset_id,
            "dataset_name": r.dataset_name,
            "document_id": r.document_id,
            "document_name": r.document_name,
            "data_source_type": r.source_type or "upload_file",
            "segment_id": r.segment_id,
            "retriever_from": "dev",
            "score": r.score,
            "content": r.content,
        }
        for r in end.retriever_resources
    ]


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
    """Dify's SSE events: `message` (reasoning wrapped in <think>), `message_end` with usage and sources, `ping`."""

    keepalive = b"event: ping\n\n"

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.thinking = False

    def frame(self, item: chat_pb2.GenerateEvent) -> bytes | None:
        kind = item.WhichOneof("event")
        base = {
            "task_id": item.task_id,
            "id": item.message_id,
            "message_id": item.message_id,
            "conversation_id": item.conversation_id,
        }
        if kind == "text_delta" or kind == "reasoning_delta":
            text = item.text_delta.text if kind == "text_delta" else item.reasoning_delta.text
            if kind == "reasoning_delta" and not self.thinking:
                text, self.thinking = "<think>\n" + text, True
            elif kind == "text_delta" and self.thinking:
                text, self.thinking = "\n</think>\n\n" + text, False
            return _frame(
                {"event": "message", **base, "mode": self.mode, "answer": text, "created_at": item.created_at}
            )
        if kind == "message_end":
            metadata = {"usage": _usage(item.message_end), "retriever_resources": resources(item.message_end)}
            return _frame({"event": "message_end", **base, "metadata": metadata})
        return None

    def error(self, error: MeshError, last: chat_pb2.GenerateEvent | None) -> bytes:
        return _frame(_error_payload(last, error))


def _sse(stream: GenerationStream, mode: str) -> AsyncIterator[bytes]:
    return relay(stream, DifyEvents(mode))


async def _blocking(stream: GenerationStream, mode: str) -> Response:
    whole = await collect(stream)
    first = whole.first
    body = {
        "event": "message",
        "task_id": first.task_id,
        "id": first.message_id,
        "message_id": first.message_id,
        "conversation_id": first.conversation_id,
        "mode": mode,
        "answer": whole.text,
        "metadata": {
            "usage": _usage(whole.end) if whole.end else {},
            "retriever_resources": resources(whole.end) if whole.end else [],
        },
        "created_at": first.created_at,
    }
    return JSONResponse(body)


async def _run(
    request: Request, principal: Principal, app_id: uuid.UUID, body: MessageBody, *, completion: bool
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
    settings = request.app.state.settings
    clients = request.app.state.clients
    stream = await open_generation(
        clients.generation.Generate, generate, principal=principal, timeout_s=settings.gateway_stream_timeout_s
    )
    mode = "completion" if completion else "chat"
    if body.response_mode == "blocking":
        return await _blocking(stream, mode)
    return StreamingResponse(_sse(stream, mode), media_type="text/event-stream", headers=SSE_HEADERS)


@router.post("/chat-messages")
async def chat_messages(request: Request, principal: CurrentPrincipal, app_id: AppId, body: MessageBody) -> Response:
    """Send a chat message; SSE `message`/`message_end` events, or one JSON object when blocking."""
    return await _run(request, principal, app_id, body, completion=False)


@router.post("/completion-messages")
async def completion_messages(
    request: Request, principal: CurrentPrincipal, app_id: AppId, body: MessageBody
) -> Response:
    """Run a completion app with its inputs."""
    return await _run(request, principal, app_id, body, completion=True)


async def _stop(request: Request, app_id: uuid.UUID, task_id: str) -> dict[str, str]:
    clients = request.app.state.clients
    await clients.call(
        clients.generation.StopGeneration, chat_pb2.StopGenerationRequest(task_id=task_id, app_id=str(app_id))
    )
    return {"result": "success"}


@router.post("/chat-messages/{task_id}/stop")
async def stop_chat(request: Request, principal: CurrentPrincipal, app_id: AppId, task_id: str) -> dict[str, str]:
    """Stop a running chat generation, whichever replica runs it."""
    return await _stop(request, app_id, task_id)


@router.post("/completion-messages/{task_id}/stop")
async def stop_completion(request: Request, principal: CurrentPrincipal, app_id: AppId, task_id: str) -> dict[str, str]:
    """Stop a running completion generation."""
    return await _stop(request, app_id, task_id)
