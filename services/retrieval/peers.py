"""Calls to other services: files (object text, metadata) and chat (embeddings, generation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import struct_pb2
from meshconsole.chat.v1 import chat_pb2, chat_pb2_grpc
from meshconsole.files.v1 import files_pb2, files_pb2_grpc

from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.errors import FailedPrecondition, InvalidArgument, MeshError, NotFound, Unavailable

# The document itself is the problem: the task fails at once, retrying cannot help.
_CALLER_REASONS = ("unsupported_format", "unsupported_type", "empty_file", "url_not_allowed", "parse_failed", "no_text")


@dataclass(frozen=True)
class ObjectText:
    object_id: str
    file_name: str
    text: str
    size: int
    sha256: str
    truncated: bool = False  # files stopped at max_chars: the document has more text


class Peers:
    """gRPC stubs to files and chat with deadlines; every call names the principal explicitly."""

    def __init__(self, *, files_addr: str, chat_addr: str, deadline_s: float, extract_timeout_s: float) -> None:
        self.channels = [grpc_client.create_channel(files_addr), grpc_client.create_channel(chat_addr)]
        self.files = files_pb2_grpc.FilesServiceStub(self.channels[0])
        self.models = chat_pb2_grpc.ModelRegistryServiceStub(self.channels[1])
        self.generation = chat_pb2_grpc.GenerationServiceStub(self.channels[1])
        self.deadline_s = deadline_s
        self.extract_timeout_s = extract_timeout_s

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()

    async def _extract(self, *, principal: Principal, request: files_pb2.ExtractTextRequest) -> tuple[str, str, bool]:
        """(name, text, truncated) of the one document in request; failures raised as the caller's or transient ones."""
        pieces: list[str] = []
        name, truncated = "", False
        stream = grpc_client.server_stream(
            self.files.ExtractText,
            request,
            timeout_s=self.extract_timeout_s,
            idle_timeout_s=self.extract_timeout_s,
            principal=principal,
        )
        async for event in stream:
            kind = event.WhichOneof("event")
            if kind == "text":
                pieces.append(event.text.text)
                name = name or event.text.filename
                truncated = truncated or event.text.truncated
            elif kind == "error":
                reason, message = event.error.reason, event.error.message or "text extraction failed"
                if reason in ("file_not_found", "not_found"):
                    raise NotFound(message, reason="file_not_found")
                if reason in _CALLER_REASONS:
                    raise InvalidArgument(message, reason=reason)
                raise Unavailable(message, reason=reason or "extract_failed")
        return name, "".join(pieces), truncated

    async def object_text(self, *, principal: Principal, ref: str, max_chars: int = 0) -> ObjectText:
        """A files object's parsed text (by id, or by object_name); NotFound / InvalidArgument when it cannot be."""
        object_ref = files_pb2.ObjectRef(id=ref) if ref.isdigit() else files_pb2.ObjectRef(object_name=ref)
        info = await grpc_client.unary(
            self.files.GetObject,
            files_pb2.GetObjectRequest(ref=object_ref),
            timeout_s=self.deadline_s,
            principal=principal,
        )
        request = files_pb2.ExtractTextRequest(object_ids=[info.id], max_chars=max_chars)
        _, text, truncated = await self._extract(principal=principal, request=request)
        return ObjectText(info.id, info.name, text, int(info.size), info.sha256, truncated)

    async def parsed_texts(
        self, *, principal: Principal, object_ids: list[str], max_chars: int
    ) -> list[tuple[str, str, str, bool, str]]:
        """(object_id, file name, text, truncated, error) per object, in order; one failure does not stop the rest."""
        out: dict[str, list[Any]] = {i: [i, "", [], False, ""] for i in object_ids}
        stream = grpc_client.server_stream(
            self.files.ExtractText,
            files_pb2.ExtractTextRequest(object_ids=object_ids, max_chars=max_chars),
            timeout_s=self.extract_timeout_s,
            idle_timeout_s=self.extract_timeout_s,
            principal=principal,
        )
        async for event in stream:
            kind = event.WhichOneof("event")
            if kind == "text" and event.text.object_id in out:
                entry = out[event.text.object_id]
                entry[1], entry[3] = event.text.filename, entry[3] or event.text.truncated
                entry[2].append(event.text.text)
            elif kind == "error" and event.error.object_id in out:
                entry = out[event.error.object_id]
                entry[1], entry[4] = event.error.filename, event.error.message or event.error.reason
        return [(e[0], e[1], "".join(e[2]), e[3], e[4]) for e in (out[i] for i in object_ids)]

    async def url_text(self, *, principal: Principal, url: str, max_chars: int = 0) -> ObjectText:
        """A web document's text, fetched (SSRF-safe) and parsed by files."""
        request = files_pb2.ExtractTextRequest(urls=[url], max_chars=max_chars)
        name, text, truncated = await self._extract(principal=principal, request=request)
        return ObjectText("", name, text, len(text.encode()), "", truncated)

    async def embed(self, request: chat_pb2.EmbedRequest, principal: Principal) -> chat_pb2.EmbedResponse:
        """chat.Embed through the company's registry entry."""
        reply: chat_pb2.EmbedResponse = await grpc_client.unary(
            self.models.Embed, request, timeout_s=max(self.deadline_s, 60.0), principal=principal
        )
        return reply

    async def generate(self, *, principal: Principal, query: str, system: str, timeout_s: float) -> str:
        """One completion through chat.Generate with the configured default model; the whole text."""
        request = chat_pb2.GenerateRequest(
            mode=chat_pb2.CONVERSATION_MODE_COMPLETION,
            query=query,
            model_config_override=_override(system),
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
                    raise Unavailable(event.error.message or "generation failed", reason="generation_failed")
        except grpc.aio.AioRpcError as error:
            raise Unavailable(str(error.details()), reason="generation_failed") from None
        except MeshError as error:
            if error.reason in ("model_not_configured", "no_default_model"):
                raise FailedPrecondition(error.message, reason=error.reason) from None
            raise
        return "".join(parts)


def _override(system: str) -> struct_pb2.Struct:
    config = struct_pb2.Struct()
    config.update({"pre_prompt": system, "model": {"provider": "meshconsole", "name": "default", "mode": "completion"}})
    return config
