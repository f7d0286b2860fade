"""Calls to files (is this the caller's voice file?), voice (transcribe a chunk) and chat (write the minutes)."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.protobuf import struct_pb2
from meshconsole.chat.v1 import chat_pb2, chat_pb2_grpc
from meshconsole.files.v1 import files_pb2, files_pb2_grpc
from meshconsole.voice.v1 import voice_pb2, voice_pb2_grpc

from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.errors import (
    FailedPrecondition,
    InvalidArgument,
    MeshError,
    NotFound,
    PermissionDenied,
    Unavailable,
    error_for_code,
)

# Failures that the input itself causes: retrying cannot help.
PERMANENT = (InvalidArgument, NotFound, FailedPrecondition, PermissionDenied)


def is_permanent(error: MeshError) -> bool:
    return isinstance(error, PERMANENT)


@dataclass(frozen=True)
class ChunkTranscript:
    text: str
    language: str
    duration_ms: int
    segments: list[tuple[int, int, str]] = field(default_factory=list)


class Peers:
    """Stubs to files, voice and chat with deadlines; every call names the principal it acts for.

    Calls made while serving a request forward the gateway's credential; the job's calls are signed with the
    service key (mesh_tokens.PEERS lets meetings call voice, chat and files).
    """

    def __init__(self, *, files_addr: str, voice_addr: str, chat_addr: str, deadline_s: float) -> None:
        self.channels = [grpc_client.create_channel(addr) for addr in (files_addr, voice_addr, chat_addr)]
        self.files = files_pb2_grpc.FilesServiceStub(self.channels[0])
        self.voice = voice_pb2_grpc.VoiceServiceStub(self.channels[1])
        self.generation = chat_pb2_grpc.GenerationServiceStub(self.channels[2])
        self.deadline_s = deadline_s

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()

    async def voice_object(self, *, principal: Principal, file_id: str) -> files_pb2.ObjectInfo:
        """The caller's files object; NotFound for an unknown or foreign id."""
        request = files_pb2.GetObjectRequest(ref=files_pb2.ObjectRef(id=file_id))
        info: files_pb2.ObjectInfo = await grpc_client.unary(
            self.files.GetObject, request, timeout_s=self.deadline_s, principal=principal
        )
        return info

    async def transcribe(
        self, *, principal: Principal, file_id: str, language: str, timeout_s: float
    ) -> ChunkTranscript:
        """voice.TranscribeFile on one chunk; failures raise the MeshError voice raised."""
        request = voice_pb2.TranscribeFileRequest(object_id=file_id, language=language)
        reply: voice_pb2.Transcript = await grpc_client.unary(
            self.voice.TranscribeFile, request, timeout_s=timeout_s, principal=principal
        )
        return ChunkTranscript(
            text=reply.text,
            language=reply.language,
            duration_ms=int(reply.duration_ms),
            segments=[(int(s.start_ms), int(s.end_ms), s.text) for s in reply.segments],
        )

    async def generate(
        self, *, principal: Principal, system: str, query: str, max_tokens: int, timeout_s: float
    ) -> str:
        """One answer through chat.Generate with the principal's default model, nothing stored; the whole text."""
        override = struct_pb2.Struct()
        override.update({"pre_prompt": system, "model": {"provider": "meshconsole", "name": "default", "mode": "chat"}})
        request = chat_pb2.GenerateRequest(
            mode=chat_pb2.CONVERSATION_MODE_CHAT,
            query=query,
            model_config_override=override,
            params=chat_pb2.CompletionParams(max_tokens=max_tokens),
            ephemeral=True,
        )
        parts: list[str] = []
        try:
            stream = grpc_client.server_stream(
                self.generation.Generate, request, timeout_s=timeout_s, idle_timeout_s=timeout_s, principal=principal
            )
            async for event in stream:
                kind = event.WhichOneof("event")
                if kind == "text_delta":
                    parts.append(event.text_delta.text)
                elif kind == "error":
                    error = event.error
                    raise error_for_code(
                        error.grpc_code,
                        error.message or "generation failed",
                        reason=error.reason or "generation_failed",
                    )
        except grpc.aio.AioRpcError as error:
            raise Unavailable(str(error.details()), reason="generation_failed") from None
        return "".join(parts)
