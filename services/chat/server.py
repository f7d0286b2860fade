"""The chat servicer: one class assembled from per-area RPC mixins (generation, registry, conversations)."""

from __future__ import annotations

from meshconsole.chat.v1 import chat_pb2_grpc

from services.chat.generation import GenerationService
from services.chat.lbai import LbaiChat
from services.chat.registry import ModelRegistry
from services.chat.rpc_conversations import ConversationRpcs
from services.chat.rpc_generation import GenerationRpcs
from services.chat.rpc_lbai import LbaiRpcs
from services.chat.rpc_registry import RegistryRpcs
from services.chat.rpc_sessions import SessionRpcs
from services.chat.store import ChatStore


class ChatServicer(
    GenerationRpcs,
    SessionRpcs,
    LbaiRpcs,
    RegistryRpcs,
    ConversationRpcs,
    chat_pb2_grpc.GenerationServiceServicer,
    chat_pb2_grpc.AgentServiceServicer,
    chat_pb2_grpc.ConversationServiceServicer,
    chat_pb2_grpc.InsightsServiceServicer,
    chat_pb2_grpc.ModelRegistryServiceServicer,
):
    """RPCs not implemented by a mixin answer UNIMPLEMENTED (the generated base)."""

    def __init__(self, *, generation: GenerationService, lbai: LbaiChat) -> None:
        self.generation = generation
        self.lbai = lbai
        self.registry: ModelRegistry = generation.registry
        self.store: ChatStore = generation.store
        self.upstream = generation.upstream
        self.settings = generation.settings
