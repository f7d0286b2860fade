"""Typed client layer over the services' gRPC stubs, shared by every dialect."""

from __future__ import annotations

from typing import Any

from grpc_health.v1 import health_pb2_grpc
from meshconsole.apps.v1 import apps_pb2_grpc
from meshconsole.chat.v1 import chat_pb2_grpc
from meshconsole.files.v1 import files_pb2_grpc
from meshconsole.identity.v1 import identity_pb2_grpc
from meshconsole.meetings.v1 import meetings_pb2_grpc
from meshconsole.retrieval.v1 import retrieval_pb2_grpc
from meshconsole.voice.v1 import voice_pb2_grpc

from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.mesh_tokens import MeshSecurity
from services.kit.settings import SERVICE_NAMES, MeshSettings


class ServiceClients:
    """One channel per service; every RPC carries a credential signed with the gateway key for its principal.

    `call` adds the deadline and request id too.
    """

    def __init__(self, settings: MeshSettings) -> None:
        self.settings = settings
        security = MeshSecurity.for_gateway(settings)
        self.channels: dict[str, grpc_client.MeshChannel] = {
            name: grpc_client.create_channel(settings.service_addr(name), security=security) for name in SERVICE_NAMES
        }
        self.identity = identity_pb2_grpc.IdentityServiceStub(self.channels["identity"])
        self.apps = apps_pb2_grpc.AppsServiceStub(self.channels["apps"])
        chat = self.channels["chat"]
        self.generation = chat_pb2_grpc.GenerationServiceStub(chat)
        self.agents = chat_pb2_grpc.AgentServiceStub(chat)
        self.conversations = chat_pb2_grpc.ConversationServiceStub(chat)
        self.insights = chat_pb2_grpc.InsightsServiceStub(chat)
        self.models = chat_pb2_grpc.ModelRegistryServiceStub(chat)
        self.files = files_pb2_grpc.FilesServiceStub(self.channels["files"])
        self.retrieval = retrieval_pb2_grpc.RetrievalServiceStub(self.channels["retrieval"])
        self.voice = voice_pb2_grpc.VoiceServiceStub(self.channels["voice"])
        self.meetings = meetings_pb2_grpc.MeetingsServiceStub(self.channels["meetings"])
        self._health = {name: health_pb2_grpc.HealthStub(ch) for name, ch in self.channels.items()}

    async def call(
        self, rpc: Any, request: Any, *, principal: Principal | None = None, timeout_s: float | None = None
    ) -> Any:
        """One unary RPC; failures surface as the MeshError the service raised."""
        return await grpc_client.unary(
            rpc, request, timeout_s=timeout_s or self.settings.grpc_deadline_s, principal=principal
        )

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()
