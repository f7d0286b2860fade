"""Nexent /api/file/preprocess: upload files, then stream their extracted text as SSE with progress frames."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc
import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from meshconsole.files.v1 import files_pb2
from starlette.background import BackgroundTask

from gateway.auth import CurrentPrincipal
from gateway.clients import ServiceClients
from gateway.streaming import KEEPALIVE_S, SSE_HEADERS
from gateway.uploads import (
    delete_quietly,
    files_limits,
    form_files,
    form_text,
    header_for,
    put_upload,
    read_form,
)
from services.kit import grpc_client
from services.kit.errors import InvalidArgument, from_rpc_error

router = APIRouter(prefix="/api/file")
EXTRACT_TIMEOUT_S = 600.0
_END = object()


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


async def _relay(clients: ServiceClients, ids: list[str], names: dict[str, str], query: str) -> AsyncIterator[bytes]:
    call = clients.files.ExtractText(
        files_pb2.ExtractTextRequest(object_ids=ids, query=query),
        timeout=EXTRACT_TIMEOUT_S,
        metadata=grpc_client.outgoing_metadata(),
    )
    queue: asyncio.Queue[Any] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for message in call:
                queue.put_nowait(message)
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.CANCELLED:
                queue.put_nowait(from_rpc_error(error))
        finally:
            queue.put_nowait(_END)

    task = asyncio.create_task(pump())
    failed: set[str] = set()
    texts: dict[str, int] = {}
    try:
        yield frame({"type": "progress", "progress": 0, "stage": "start", "message": f"{len(ids)} file(s) received"})
        while True:
            try:
                async with asyncio.timeout(KEEPALIVE_S):
                    item = await queue.get()
            except TimeoutError:
                yield b": ping\n\n"
                continue
            if item is _END:
                break
            if isinstance(item, Exception):
                yield frame({"type": "error", "reason": getattr(item, "reason", "error"), "message": str(item)})
                return
            payload = _payload(item, names)
            if payload["type"] == "error":
                failed.add(payload["file_id"])
            elif payload["type"] == "text":
                texts[payload["file_id"]] = texts.get(payload["file_id"], 0) + len(payload["content"])
            elif payload["stage"] == "done":
                yield frame(
                    {
                        "type": "file_processed",
                        "file_id": payload["file_id"],
                        "filename": payload["filename"],
                        "chars": texts.get(payload["file_id"], 0),
                    }
                )
            yield frame(payload)
        yield frame({"type": "complete", "progress": 100, "processed": len(ids) - len(failed), "failed": len(failed)})
    finally:
        call.cancel()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        # The uploads existed only to be read here.
        await delete_quietly(clients, ids)


@router.post("/preprocess", response_model=None)
async def preprocess(request: Request, principal: CurrentPrincipal) -> Response:
    """multipart `files` and `query`: SSE of progress, text pieces, per-file errors, then complete."""
    clients: ServiceClients = request.app.state.clients
    limits = await files_limits(request)
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
    return StreamingResponse(body, media_type="text/event-stream", headers=SSE_HEADERS, background=cleanup)
