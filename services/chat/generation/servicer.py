"""GenerationService: Generate (server streaming), StopGeneration and lbai's one-reply turns; proto <-> domain only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from google.protobuf import json_format, timestamp_pb2
from meshconsole.chat.v1 import chat_pb2, chat_pb2_grpc

from services.chat.conversations.shapes import ORIGIN_NAMES
from services.chat.generation.coalesce import coalesced
from services.chat.generation.core import GenerationService
from services.chat.generation.lbai import LbaiChat, SessionReply, UserQuestion
from services.chat.generation.prompt import Turn
from services.chat.generation.spec import GenerationSpec, StreamEvent
from services.kit.context import require_principal

caller = require_principal


def spec_from_request(request: chat_pb2.GenerateRequest) -> GenerationSpec:
    """The domain view of a GenerateRequest."""
    params: dict[str, Any] = {}
    for name in ("temperature", "top_p", "max_tokens", "presence_penalty", "frequency_penalty"):
        if request.params.HasField(name):
            params[name] = getattr(request.params, name)
    if request.params.stop:
        params["stop"] = list(request.params.stop)
    return GenerationSpec(
        query=request.query,
        mode="completion" if request.mode == chat_pb2.CONVERSATION_MODE_COMPLETION else "chat",
        origin=ORIGIN_NAMES.get(request.origin, "dify"),
        app_id=request.app_id,
        conversation_id=request.conversation_id,
        ensure_conversation=request.ensure_conversation,
        inputs=json_format.MessageToDict(request.inputs) if request.HasField("inputs") else {},
        history=[Turn(m.role, m.content) for m in request.history] if request.history else None,
        model=request.model,
        params=params,
        model_config_override=(
            json_format.MessageToDict(request.model_config_override, preserving_proto_field_name=True)
            if request.HasField("model_config_override")
            else None
        ),
        end_user=request.end_user,
        ephemeral=request.ephemeral,
    )


def event_message(event: StreamEvent) -> chat_pb2.GenerateEvent:
    """The proto event for a domain event; built directly, as this runs once per token."""
    message = chat_pb2.GenerateEvent(
        task_id=event.task_id,
        message_id=event.message_id,
        conversation_id=event.conversation_id,
        created_at=event.created_at,
    )
    kind = event.kind
    if kind == "text":
        message.text_delta.text = event.text
    elif kind == "reasoning":
        message.reasoning_delta.text = event.text
    elif kind == "start":
        message.message_start.model = event.model
        message.message_start.new_conversation = event.new_conversation
    elif kind == "end":
        usage = message.message_end.usage
        usage.prompt_tokens = event.prompt_tokens
        usage.completion_tokens = event.completion_tokens
        usage.total_tokens = event.prompt_tokens + event.completion_tokens
        usage.latency = event.latency_s
        usage.time_to_first_token = event.first_token_s
        usage.total_price = "0"
        usage.currency = "USD"
        message.message_end.finish_reason = event.finish_reason
        message.message_end.retriever_resources.extend(_resources(event.resources))
    elif kind == "resources":
        message.retriever_resources.resources.extend(_resources(event.resources))
    elif kind == "thought" and event.step is not None:
        message.agent_thought.CopyFrom(_thought(event.step.record()))
    elif kind == "error" and event.error is not None:
        message.error.reason = event.error.reason
        message.error.message = event.error.message
        message.error.grpc_code = event.error.code.value[0]
    return message


def _thought(record: dict[str, Any]) -> chat_pb2.AgentThought:
    return json_format.ParseDict(record, chat_pb2.AgentThought(), ignore_unknown_fields=True)


def _resources(resources: list[dict[str, Any]]) -> list[chat_pb2.RetrieverResource]:
    return [json_format.ParseDict(r, chat_pb2.RetrieverResource(), ignore_unknown_fields=True) for r in resources]


def _question(request: Any) -> UserQuestion:
    if request.user_question.WhichOneof("question") == "voice_file_id":
        return UserQuestion(voice_file_id=str(request.user_question.voice_file_id))
    return UserQuestion(text=str(request.user_question.text))


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


class GenerationServicer(chat_pb2_grpc.GenerationServiceServicer):
    """Streams turns through the generation core; lbai's session turns through LbaiChat."""

    def __init__(self, *, generation: GenerationService, lbai: LbaiChat) -> None:
        self.generation = generation
        self.lbai = lbai

    async def Generate(self, request: chat_pb2.GenerateRequest, context: Any) -> AsyncIterator[chat_pb2.GenerateEvent]:
        events = self.generation.generate(principal=caller(), spec=spec_from_request(request))
        async for event in coalesced(events):
            yield event_message(event)

    async def StopGeneration(
        self, request: chat_pb2.StopGenerationRequest, context: Any
    ) -> chat_pb2.StopGenerationResponse:
        stopped = await self.generation.stop(principal=caller(), task_id=request.task_id, app_id=request.app_id)
        return chat_pb2.StopGenerationResponse(stopped=stopped)

    async def SessionChat(self, request: chat_pb2.SessionChatRequest, context: Any) -> chat_pb2.SessionChatReply:
        reply = await self.lbai.chat(
            principal=caller(),
            session_id=request.session_id,
            asked=_question(request),
            mark_type=int(request.mark_type),
            attachments=_attachments(request),
            mini_program_only=False,
        )
        return _reply(reply)

    async def MiniProgramChat(self, request: chat_pb2.SessionChatRequest, context: Any) -> chat_pb2.SessionChatReply:
        reply = await self.lbai.chat(
            principal=caller(),
            session_id=request.session_id,
            asked=_question(request),
            mark_type=int(request.mark_type),
            attachments=_attachments(request),
            mini_program_only=True,
        )
        return _reply(reply)

    async def BuildMiniProgram(
        self, request: chat_pb2.BuildMiniProgramRequest, context: Any
    ) -> chat_pb2.SessionChatReply:
        reply = await self.lbai.build_mini_program(
            principal=caller(), command_session_id=request.command_session_id, asked=_question(request)
        )
        return _reply(reply)
