"""AgentService: the agent runtime's RPCs; RunAgent and GetStockInfo answer UNIMPLEMENTED until it lands."""

from __future__ import annotations

from typing import Any

from meshconsole.chat.v1 import chat_pb2, chat_pb2_grpc

from services.chat.app_config import AppConfigReader
from services.kit.context import require_principal


class AgentServicer(chat_pb2_grpc.AgentServiceServicer):
    """Agent configuration; runs are added by the agent runtime."""

    def __init__(self, *, app_configs: AppConfigReader | None) -> None:
        self.app_configs = app_configs

    async def ReloadAgentConfig(self, request: Any, context: Any) -> chat_pb2.ReloadAgentConfigResponse:
        require_principal()
        evicted = self.app_configs.clear() if self.app_configs is not None else 0
        return chat_pb2.ReloadAgentConfigResponse(success=True, message=f"configuration reloaded ({evicted} cached)")
