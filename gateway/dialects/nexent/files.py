"""Nexent file routes (/api/file): upload with ingestion, storage upload, listing, presigned URLs, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from meshconsole.common.v1 import common_pb2
from meshconsole.files.v1 import files_pb2
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients
from gateway.dialects.nexent.schemas import BatchUrls, StorageList, StorageUploaded, StorageUrl, Success, Uploaded
from gateway.uploads import (
    delete_quietly,
    form_body,
    form_files,
    form_text,
    header_for,
    public_base_url,
    put_upload,
    read_form,
    upload_limits,
)
from services.kit.errors import InvalidArgument, NotFound

router = APIRouter(prefix="/api/file")
DEFAULT_EXPIRES_S = 3600


class BatchUrlsBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    object_names: list[StrictStr] = Field(min_length=1, max_length=1000)
    expires: int = Field(default=DEFAULT_EXPIRES_S, ge=1, le=7 * 86_400)


def _stored(info: files_pb2.ObjectInfo) -> dict[str, Any]:
    return {
        "success": True,
        "file_name": info.name,
        "object_name": info.object_name,
        "file_id": info.id,
        "size": info.size,
        "content_type": info.content_type,
        "url": info.url,
    }


@router.post(
    "/upload",
    response_model=Uploaded,
    openapi_extra=form_body("file", many=True, index_name="the index to ingest into", chunking_strategy="basic"),
)
async def upload(request: Request, principal: CurrentPrincipal, clients: Clients) -> dict[str, Any]:
    """multipart `file` (one or more), `chunking_strategy`, `index_name`: store, then queue ingestion."""
    limits = await upload_limits(clients)
    form = await read_form(request, max_files=limits.max_files_per_upload)
    stored: list[files_pb2.ObjectInfo] = []
    try:
        uploads = form_files(form, "file", "files")
        index_name = form_text(form, "index_name")
        if not uploads:
            raise InvalidArgument("file is required", field="file")
        if not index_name:
            raise InvalidArgument("index_name is required", field="index_name")
        if index_name.startswith("_mesh_"):
            raise InvalidArgument("index names starting with _mesh_ are reserved", field="index_name")
        intent = files_pb2.IngestIntent(
            index_name=index_name, chunking_strategy=form_text(form, "chunking_strategy") or "basic"
        )
        for item in uploads:
            header = header_for(request, item, folder="knowledge_base", ingest=intent)
            stored.append(await put_upload(clients, item, header, limit=limits.max_file_bytes))
    except BaseException:
        await delete_quietly(clients, [info.id for info in stored])
        raise
    finally:
        await form.close()
    task_ids = [info.ingest_task_id for info in stored]
    return {
        "message": f"Files uploaded successfully, {len(stored)} processing task(s) started",
        "uploaded_files": [info.name for info in stored],
        "process_tasks": {"task_id": task_ids[0], "task_ids": task_ids},
        "file_ids": [info.id for info in stored],
    }


@router.post(
    "/storage", response_model=StorageUploaded, openapi_extra=form_body("files", many=True, folder="attachments")
)
async def upload_storage(request: Request, principal: CurrentPrincipal, clients: Clients) -> dict[str, Any]:
    """multipart `files` and `folder`: store each file and report per-file results with a URL."""
    limits = await upload_limits(clients)
    form = await read_form(request, max_files=limits.max_files_per_upload)
    stored: list[files_pb2.ObjectInfo] = []
    results: list[dict[str, Any]] = []
    try:
        uploads = form_files(form, "files", "file")
        if not uploads:
            raise InvalidArgument("files is required", field="files")
        folder = form_text(form, "folder") or "attachments"
        for item in uploads:
            header = header_for(request, item, folder=folder)
            try:
                info = await put_upload(clients, item, header, limit=limits.max_file_bytes)
            except InvalidArgument as error:
                if error.reason in ("file_too_large", "body_too_large") or error.field == "folder":
                    raise
                results.append({"success": False, "file_name": item.filename or "", "error": error.message})
                continue
            stored.append(info)
            results.append(_stored(info))
    except BaseException:
        await delete_quietly(clients, [info.id for info in stored])
        raise
    finally:
        await form.close()
    ok = sum(1 for r in results if r["success"])
    return {
        "message": f"Processed {len(results)} file(s): {ok} succeeded, {len(results) - ok} failed",
        "success_count": ok,
        "failed_count": len(results) - ok,
        "results": results,
    }


@router.get("/storage", response_model=StorageList, response_model_exclude_unset=True)
async def list_storage(
    request: Request,
    principal: CurrentPrincipal,
    clients: Clients,
    prefix: str = Query(default="", max_length=512),
    limit: int = Query(default=100, ge=1, le=1000),
    include_urls: bool = Query(default=True),
) -> dict[str, Any]:
    """The caller's objects (newest first), optionally under a prefix, with presigned URLs."""
    reply = await clients.call(
        clients.files.ListObjects,
        files_pb2.ListObjectsRequest(
            prefix=prefix,
            include_urls=include_urls,
            page=common_pb2.PageRequest(page=1, limit=limit),
            public_base_url=public_base_url(request),
        ),
    )
    files = []
    for info in reply.objects:
        entry: dict[str, Any] = {
            "name": info.object_name,
            "file_name": info.name,
            "file_id": info.id,
            "size": info.size,
            "content_type": info.content_type,
            "last_modified": info.created_at.ToDatetime().isoformat() + "Z",
        }
        if include_urls:
            entry["url"] = info.url
        files.append(entry)
    return {"total": reply.page.total, "files": files}


@router.get("/storage/{object_name:path}", response_model=StorageUrl)
async def get_storage_url(
    request: Request,
    principal: CurrentPrincipal,
    clients: Clients,
    object_name: str,
    download: bool = Query(default=False),
    expires: int = Query(default=DEFAULT_EXPIRES_S, ge=1, le=7 * 86_400),
) -> dict[str, Any]:
    """A presigned URL for one object (attachment disposition with download=true)."""
    reply = await clients.call(
        clients.files.PresignUrl,
        files_pb2.PresignUrlRequest(
            ref=files_pb2.ObjectRef(object_name=object_name),
            expires_seconds=expires,
            download=download,
            public_base_url=public_base_url(request),
        ),
    )
    return {"success": True, "url": reply.url, "expires": reply.expires_at.ToDatetime().isoformat() + "Z"}


@router.delete("/storage/{object_name:path}", response_model=Success)
async def delete_storage(principal: CurrentPrincipal, clients: Clients, object_name: str) -> dict[str, Any]:
    """Delete one object: its bytes, its metadata and (through files.deleted) its indexed chunks."""
    reply = await clients.call(
        clients.files.DeleteObjects,
        files_pb2.DeleteObjectsRequest(refs=[files_pb2.ObjectRef(object_name=object_name)]),
    )
    if reply.deleted_count == 0:
        raise NotFound("file not found", reason="file_not_found")
    return {"success": True, "message": f"File {object_name} deleted successfully"}


@router.post("/storage/batch-urls", response_model=BatchUrls, response_model_exclude_unset=True)
async def batch_urls(
    request: Request, principal: CurrentPrincipal, clients: Clients, body: BatchUrlsBody
) -> dict[str, Any]:
    """Presigned URLs for several objects; a missing one is reported, not fatal."""
    reply = await clients.call(
        clients.files.BatchPresign,
        files_pb2.BatchPresignRequest(
            refs=[files_pb2.ObjectRef(object_name=name) for name in body.object_names],
            expires_seconds=body.expires,
            public_base_url=public_base_url(request),
        ),
    )
    urls = []
    for entry in reply.urls:
        item: dict[str, Any] = {"object_name": entry.object_name, "success": entry.success}
        if entry.success:
            item["url"] = entry.url
        else:
            item["error"] = entry.error
        urls.append(item)
    return {"urls": urls}
