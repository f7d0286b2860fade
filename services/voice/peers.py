"""Calls to files (voice objects, stored speech, transcripts) and chat (a company's stt / tts registry entry)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from meshconsole.chat.v1 import chat_pb2, chat_pb2_grpc
from meshconsole.files.v1 import files_pb2, files_pb2_grpc

from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.errors import InvalidArgument
from services.kit.mesh_tokens import CREDENTIAL_KEY, MeshSecurity, encode_principal, installed

UPLOAD_CHUNK = 512 * 1024


@dataclass(frozen=True)
class VoiceObject:
    object_id: str
    name: str
    format: str
    size: int
    data: bytes


@dataclass(frozen=True)
class SpeechEndpoint:
    """A company's OpenAI-compatible audio endpoint from its registry entry."""

    model: str
    base_url: str
    api_key: str
    operator_origin: bool


class Peers:
    """Stubs to files and chat with deadlines; every call names whom it acts for."""

    def __init__(
        self,
        *,
        files_addr: str,
        chat_addr: str,
        deadline_s: float,
        transfer_timeout_s: float,
        security: MeshSecurity | None = None,
    ) -> None:
        self.security = security
        self.channels = [
            grpc_client.create_channel(files_addr, security=security),
            grpc_client.create_channel(chat_addr, security=security),
        ]
        self.files = files_pb2_grpc.FilesServiceStub(self.channels[0])
        self.models = chat_pb2_grpc.ModelRegistryServiceStub(self.channels[1])
        self.deadline_s = deadline_s
        self.transfer_timeout_s = transfer_timeout_s

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()

    async def get_object(self, *, principal: Principal, object_id: str) -> files_pb2.ObjectInfo:
        """An object's metadata as the principal sees it (NOT_FOUND file_not_found when it may not)."""
        request = files_pb2.GetObjectRequest(ref=files_pb2.ObjectRef(id=object_id))
        reply: files_pb2.ObjectInfo = await grpc_client.unary(
            self.files.GetObject, request, timeout_s=self.deadline_s, principal=principal
        )
        return reply

    async def read_voice(self, *, principal: Principal, object_id: str, max_bytes: int) -> VoiceObject:
        """A voice object's bytes, read as the principal (NOT_FOUND for anything it may not see)."""
        request = files_pb2.ReadObjectRequest(ref=files_pb2.ObjectRef(id=object_id))
        info: files_pb2.ObjectInfo | None = None
        parts: list[bytes] = []
        size = 0
        stream = grpc_client.server_stream(
            self.files.ReadObject,
            request,
            timeout_s=self.transfer_timeout_s,
            idle_timeout_s=self.transfer_timeout_s,
            principal=principal,
        )
        async for message in stream:
            if message.WhichOneof("part") == "info":
                info = message.info
                if info.size > max_bytes:
                    raise InvalidArgument(
                        f"the voice file is larger than {max_bytes} bytes", reason="audio_too_large", field="object_id"
                    )
            else:
                size += len(message.data)
                if size > max_bytes:
                    raise InvalidArgument(
                        f"the voice file is larger than {max_bytes} bytes", reason="audio_too_large", field="object_id"
                    )
                parts.append(message.data)
        assert info is not None, "files answered ReadObject without the object's info"
        return VoiceObject(info.id, info.name, info.format, size, b"".join(parts))

    async def set_transcript(
        self, *, principal: Principal, object_id: str, text: str, language: str, duration_ms: int, error: str = ""
    ) -> None:
        request = files_pb2.SetTranscriptRequest(
            object_id=object_id, text=text, language=language, duration_ms=duration_ms, error=error
        )
        await grpc_client.unary(self.files.SetTranscript, request, timeout_s=self.deadline_s, principal=principal)

    async def find_stored(self, *, principal: Principal, folder: str) -> files_pb2.ObjectInfo | None:
        """The object an earlier attempt stored under folder (a job's own folder), if any."""
        request = files_pb2.ListObjectsRequest(prefix=f"{folder}/")
        reply = await grpc_client.unary(self.files.ListObjects, request, timeout_s=self.deadline_s, principal=principal)
        objects = list(reply.objects)
        return objects[-1] if objects else None  # newest first: the oldest is the one kept

    async def store_voice(self, *, principal: Principal, folder: str, name: str, data: bytes) -> files_pb2.ObjectInfo:
        """Store audio as a VOICE object of the principal's (not in the cloud space)."""

        async def messages() -> AsyncIterator[files_pb2.PutObjectChunk]:
            header = files_pb2.PutObjectHeader(
                name=name, folder=folder, kind=files_pb2.OBJECT_KIND_VOICE, content_type="audio/mpeg", size=len(data)
            )
            yield files_pb2.PutObjectChunk(header=header)
            for start in range(0, len(data), UPLOAD_CHUNK):
                yield files_pb2.PutObjectChunk(data=data[start : start + UPLOAD_CHUNK])

        reply: files_pb2.ObjectInfo = await grpc_client.unary(
            self.files.PutObject, messages(), timeout_s=self.transfer_timeout_s, principal=principal
        )
        return reply

    async def presign(
        self, *, principal: Principal, object_id: str, expires_s: int, public_base_url: str = ""
    ) -> files_pb2.PresignedUrl:
        request = files_pb2.PresignUrlRequest(
            ref=files_pb2.ObjectRef(id=object_id), expires_seconds=expires_s, public_base_url=public_base_url
        )
        reply: files_pb2.PresignedUrl = await grpc_client.unary(
            self.files.PresignUrl, request, timeout_s=self.deadline_s, principal=principal
        )
        return reply

    async def speech_endpoint(self, *, principal: Principal, model_type: str) -> SpeechEndpoint | None:
        """The company's default `stt` / `tts` registry entry with its key, or None when it has none.

        Chat hands keys only to the voice service itself, so this call carries voice's own service credential
        (acting for the principal) rather than forwarding the gateway's.
        """
        kind = chat_pb2.MODEL_TYPE_STT if model_type == "stt" else chat_pb2.MODEL_TYPE_TTS
        token = (self.security or installed()).signer.for_call(encode_principal(principal), "chat")
        reply = await grpc_client.unary(
            self.models.ResolveSpeechModel,
            chat_pb2.ResolveSpeechModelRequest(model_type=kind),
            timeout_s=self.deadline_s,
            extra_metadata=((CREDENTIAL_KEY, token),),
        )
        if not reply.found:
            return None
        return SpeechEndpoint(reply.model_name, reply.base_url, reply.api_key, reply.operator_origin)
