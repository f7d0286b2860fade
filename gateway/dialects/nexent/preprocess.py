"""Nexent /api/file/preprocess: upload files, then stream their extracted text as SSE with progress frames."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from meshconsole.files.v1 import files_pb2
from starlette.background import BackgroundTask

from gateway.auth import CurrentPrincipal
from gateway.clients import ServiceClients
from gateway.deps import Clients
from gateway.dialects.nexent.schemas import sse
from gateway.streaming import SSE_HEADERS, EventStreamResponse, ServerStream, pump
from gateway.uploads import (
    delete_quietly,
    form_body,
    form_files,
    form_text,
    header_for,
    put_upload,
    read_form,
    upload_limits,
)
from services.kit import grpc_client
from services.kit.errors import InvalidArgument, MeshError

router = APIRouter(prefix="/api/file")
EXTRACT_TIMEOUT_S = 600.0


def frame(payload: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def _payload(event: files_pb2.ExtractTextEvent, names: dict[str, str]) -> dict[str, Any]:
    which = event.WhichOneof("event")
    if which == "progress":
        p = event.progress
        return {
            "type": "progress",
            "progress": p.percent,
            "stage": p.stage,
            "file_id": p.object_id,
            "filename": p.filename,
            "message": f"{p.stage} {p.filename}",
        }
    if which == "text":
        t = event.text
        return {
            "type": "text",
            "file_id": t.object_id,
            "filename": t.filename,
            "content": t.text,
            "truncated": t.truncated,
        }
    e = event.error
    return {
        "type": "error",
        "file_id": e.object_id,
        "filename": e.filename or names.get(e.object_id, ""),
        "reason": e.reason,
        "message": e.message,
    }


class PreprocessFrames:
    """Preprocess SSE: each event's frame, a file_processed frame before a file's `done`, then complete."""

    keepalive = b": ping\n\n"

    def __init__(self, count: int, names: dict[str, str]) -> None:
        self.count = count
        self.names = names
        self.failed: set[str] = set()
        self.texts: dict[str, int] = {}

    def frame(self, message: files_pb2.ExtractTextEvent) -> bytes:
        payload = _payload(message, self.names)
        file_id = payload["file_id"]
        if payload["type"] == "error":
            self.failed.add(file_id)
        elif payload["type"] == "text":
            self.texts[file_id] = self.texts.get(file_id, 0) + len(payload["content"])
        elif payload["stage"] == "done":
            chars = self.texts.get(file_id, 0)
            done = {"type": "file_processed", "file_id": file_id, "filename": payload["filename"], "chars": chars}
            return frame(done) + frame(payload)
        return frame(payload)

    def error(self, error: MeshError) -> bytes:
        return frame({"type": "error", "reason": error.reason, "message": error.message})

    def end(self, *, failed: bool) -> bytes:
        if failed:
            return b""
        processed = self.count - len(self.failed)
        return frame({"type": "complete", "progress": 100, "processed": processed, "failed": len(self.failed)})


async def _relay(clients: ServiceClients, ids: list[str], names: dict[str, str], query: str) -> AsyncIterator[bytes]:
    call = clients.files.ExtractText(
        files_pb2.ExtractTextRequest(object_ids=ids, query=query),
        timeout=EXTRACT_TIMEOUT_S,
        metadata=grpc_client.outgoing_metadata(),
    )
    start = frame({"type": "progress", "progress": 0, "stage": "start", "message": f"{len(ids)} file(s) received"})
    try:
        # aclosing: a client gone mid-stream closes the pump now, which cancels the call.
        async with contextlib.aclosing(
            pump(ServerStream(call), PreprocessFrames(len(ids), names), prologue=start)
        ) as out:
            async for chunk in out:
                yield chunk
    finally:
        # The uploads existed only to be read here.
        await delete_quietly(clients, ids)


@router.post(
    "/preprocess",
    response_model=None,
    response_class=EventStreamResponse,
    responses=sse("progress, text, per-file error and file_processed frames, then complete"),
    openapi_extra=form_body("files", many=True, query="what to extract"),
)
async def preprocess(request: Request, principal: CurrentPrincipal, clients: Clients) -> Response:
    """multipart `files` and `query`: SSE of progress, text pieces, per-file errors, then complete."""
    limits = await upload_limits(clients)
    form = await read_form(request, max_files=limits.max_files_per_upload)
    stored: list[files_pb2.ObjectInfo] = []
    try:
        uploads = form_files(form, "files", "file")
        if not uploads:
            raise InvalidArgument("files is required", field="files")
        query = form_text(form, "query")
        for item in uploads:
            header = header_for(request, item, folder="preprocess")
            stored.append(await put_upload(clients, item, header, limit=limits.max_file_bytes))
    except BaseException:
        await delete_quietly(clients, [info.id for info in stored])
        raise
    finally:
        await form.close()
    names = {info.id: info.name for info in stored}
    body = _relay(clients, [info.id for info in stored], names, query)
    # The stream deletes the uploads when it ends; the background task covers a client gone before it began.
    cleanup = BackgroundTask(delete_quietly, clients, list(names), principal)
    return EventStreamResponse(body, headers=SSE_HEADERS, background=cleanup)
