"""The chat servicer: one class assembled from per-area RPC mixins (generation, registry, conversations)."""

from __future__ import annotations

from meshconsole.chat.v1 import chat_pb2_grpc

from services.chat.generation import GenerationService
from services.chat.rpc_generation import GenerationRpcs


class ChatServicer(GenerationRpcs, chat_pb2_grpc.ChatServiceServicer):
    """RPCs not implemented by a mixin answer UNIMPLEMENTED (the generated base)."""

    def __init__(self, *, generation: GenerationService) -> None:
        self.generation = generation
