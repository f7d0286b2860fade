"""Session RPCs (NextConsole init_session); proto <-> domain only."""

from __future__ import annotations

from typing import Any

from google.protobuf import timestamp_pb2
from meshconsole.chat.v1 import chat_pb2

from services.chat.generation import GenerationService
from services.chat.rpc_generation import caller
from services.chat.sessions import init_session
from services.kit.clock import as_utc


def _timestamp(value: Any) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(as_utc(value))
    return stamp


class SessionRpcs:
    """Mixin of ChatServicer for app sessions and agent configuration."""

    generation: GenerationService

    async def ReloadAgentConfig(self, request: Any, context: Any) -> chat_pb2.ReloadAgentConfigResponse:
        caller()
        evicted = self.generation.app_configs.clear() if self.generation.app_configs is not None else 0
        return chat_pb2.ReloadAgentConfigResponse(success=True, message=f"configuration reloaded ({evicted} cached)")

    async def InitSession(self, request: chat_pb2.InitSessionRequest, context: Any) -> chat_pb2.Session:
        session = await init_session(
            principal=caller(),
            store=self.generation.store,
            registry=self.generation.registry,
            app_configs=self.generation.app_configs,
            app_code=request.app_code,
            session_code=request.session_code,
        )
        conversation = session.conversation
        return chat_pb2.Session(
            id=conversation.seq,
            session_code=conversation.id,
            session_topic=conversation.name or "新会话",
            session_status="正常",
            session_source=conversation.app_id,
            session_llm_code=session.llm_code,
            session_assistant_id=0,
            session_search_engine_resource_type="search",
            session_vis=True,
            user_id=conversation.user_id,
            create_time=_timestamp(conversation.created_at),
            update_time=_timestamp(conversation.updated_at),
        )
