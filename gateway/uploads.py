"""Files helpers shared by the dialects: bounded form parsing, streamed PutObject, limits, 413 responses.

A multipart body is parsed by Starlette into spooled temporary files (memory up to 1 MiB each, then disk)
while a counter on the receive channel stops it at the body limit; each file is then streamed in chunks into
the files service's PutObject client stream, which enforces the per-kind limit again. Nothing holds a whole
upload in memory, and an upload over a limit answers 413 in the caller's dialect.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import grpc
from fastapi import Request
from meshconsole.common.v1 import common_pb2
from meshconsole.files.v1 import files_pb2
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException
from starlette.types import Message

from gateway.clients import ServiceClients
from gateway.deps import gateway_settings
from gateway.limits import MULTIPART_SLACK, UPLOAD, body_class
from gateway.strict_json import text_problem
from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.errors import InvalidArgument, MeshError, ResourceExhausted, from_rpc_error

CHUNK_BYTES = 256 * 1024
UPLOAD_TIMEOUT_S = 900.0
FORM_TEXT_MAX_CHARS = 1024
_LIMITS_TTL_S = 60.0
# One cached Limits per ServiceClients (that is, per running app), dropped with it.
_limits_cache: weakref.WeakKeyDictionary[ServiceClients, tuple[float, files_pb2.Limits]] = weakref.WeakKeyDictionary()


def public_base_url(request: Request) -> str:
    """The configured base URL clients reach the mesh at (MESH_PUBLIC_BASE_URL); the Host header is never used."""
    return gateway_settings(request).public_url()


async def upload_limits(clients: ServiceClients) -> files_pb2.Limits:
    """The files service's limits, cached for a minute per gateway."""
    cached = _limits_cache.get(clients)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    limits = await clients.call(clients.files.GetLimits, common_pb2.Empty())
    _limits_cache[clients] = (time.monotonic() + _LIMITS_TTL_S, limits)
    return limits


def too_large(limit: int, *, reason: str = "file_too_large") -> ResourceExhausted:
    return ResourceExhausted(f"upload exceeds the {limit // (1024 * 1024)} MB limit", reason=reason, field="file")


async def read_form(request: Request, *, max_files: int) -> FormData:
    """Parse a multipart body, refusing (413) one longer than the gateway's body limit as it arrives."""
    cap = gateway_settings(request).gateway_max_body_mb * 1024 * 1024 + MULTIPART_SLACK
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > cap:
        raise too_large(cap - MULTIPART_SLACK, reason="body_too_large")
    received = 0
    receive = request.receive

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > cap:
            raise too_large(cap - MULTIPART_SLACK, reason="body_too_large")
        return message

    bounded = Request(request.scope, receive=counted)
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise InvalidArgument("the body must be multipart/form-data", field="file")
    try:
        return await bounded.form(max_files=max_files, max_fields=100)
    except MultiPartException as error:
        raise InvalidArgument(f"bad multipart body: {error.message}", field="file") from None


def form_files(form: FormData, *names: str) -> list[UploadFile]:
    """The uploaded files under any of these field names, in order."""
    found: list[UploadFile] = []
    for name in names:
        found.extend(v for v in form.getlist(name) if isinstance(v, UploadFile))
    return found


def form_text(form: FormData, name: str, default: str = "", *, max_length: int = FORM_TEXT_MAX_CHARS) -> str:
    """A text field, or default when absent; a file under that name, NUL or an over-long value is bad input."""
    value = form.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise InvalidArgument(f"{name} must be a text field", field=name)
    if problem := text_problem(value):
        raise InvalidArgument(f"{name} {problem}", field=name)
    if len(value) > max_length:
        raise InvalidArgument(f"{name} is longer than {max_length} characters", field=name)
    return value.strip()


def form_body(file: str, *, many: bool = False, **text: str) -> dict[str, Any]:
    """openapi_extra of an upload route: the upload body class and its multipart form (file field, text fields).

    text maps each text field to its description; every text field is optional and at most 1024 characters.
    """
    binary: dict[str, Any] = {"type": "string", "format": "binary"}
    properties: dict[str, Any] = {file: {"type": "array", "items": binary} if many else binary}
    for name, description in text.items():
        properties[name] = {"type": "string", "maxLength": FORM_TEXT_MAX_CHARS, "description": description}
    schema = {"type": "object", "required": [file], "properties": properties}
    return {
        **body_class(UPLOAD),
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}},
    }


def form_int(form: FormData, name: str, *, default: int, allowed: Sequence[int]) -> int:
    """An integer field that must be one of allowed."""
    raw = form_text(form, name)
    if not raw:
        return default
    if not (raw.isascii() and raw.lstrip("-").isdigit()) or int(raw) not in allowed:
        raise InvalidArgument(f"{name} must be one of {', '.join(map(str, allowed))}", field=name)
    return int(raw)


async def put_upload(
    clients: ServiceClients, upload: UploadFile, header: files_pb2.PutObjectHeader, *, limit: int
) -> files_pb2.ObjectInfo:
    """Stream one uploaded file into PutObject in chunks; past limit the call is cancelled and nothing stays."""
    call = clients.files.PutObject(timeout=UPLOAD_TIMEOUT_S, metadata=grpc_client.outgoing_metadata())
    try:
        if upload.size is not None and upload.size > limit:
            raise too_large(limit)
        await call.write(files_pb2.PutObjectChunk(header=header))
        sent = 0
        while chunk := await upload.read(CHUNK_BYTES):
            sent += len(chunk)
            if sent > limit:
                raise too_large(limit)
            await call.write(files_pb2.PutObjectChunk(data=chunk))
        await call.done_writing()
        return await call
    except grpc.aio.AioRpcError as error:
        raise from_rpc_error(error) from None
    except BaseException:
        call.cancel()
        raise


def header_for(request: Request, upload: UploadFile, **fields: Any) -> files_pb2.PutObjectHeader:
    """A PutObject header for an uploaded file; the client's content type is passed only as a claim."""
    return files_pb2.PutObjectHeader(
        name=upload.filename or "file",
        content_type=upload.content_type or "",
        size=upload.size or 0,
        public_base_url=public_base_url(request),
        **fields,
    )


async def store_form_file(
    request: Request,
    clients: ServiceClients,
    *,
    field: str,
    limit: int,
    from_form: Callable[[FormData], dict[str, Any]] | None = None,
    **header: Any,
) -> files_pb2.ObjectInfo:
    """Read a form of one file under `field` and stream it into files with these header fields (and from_form's)."""
    form = await read_form(request, max_files=1)
    try:
        uploads = form_files(form, field)
        if not uploads:
            raise InvalidArgument(f"{field} is required", field=field)
        fields = {**header, **(from_form(form) if from_form else {})}
        return await put_upload(clients, uploads[0], header_for(request, uploads[0], **fields), limit=limit)
    finally:
        await form.close()


async def delete_quietly(clients: ServiceClients, ids: Sequence[str], principal: Principal | None = None) -> None:
    """Remove objects stored earlier in a request that then failed (best effort; repeating it is harmless)."""
    if not ids:
        return
    refs = [files_pb2.ObjectRef(id=i) for i in ids]
    try:
        await clients.call(clients.files.DeleteObjects, files_pb2.DeleteObjectsRequest(refs=refs), principal=principal)
    except MeshError:
        pass
