"""lbai cloud space: file/image and voice uploads (/trainingSpace/add*), the listing and batch delete."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Query, Request
from meshconsole.common.v1 import common_pb2
from meshconsole.files.v1 import files_pb2
from pydantic import StrictInt, StrictStr
from starlette.datastructures import FormData

from gateway.auth import CurrentPrincipal
from gateway.clients import ServiceClients
from gateway.deps import Clients, Settings
from gateway.dialects.lbai.envelope import PREFIX, ok, page
from gateway.dialects.lbai.schemas import CloudFile, LbaiEnvelope, LbaiPage, UploadedFile
from gateway.uploads import form_body, form_int, public_base_url, store_form_file, upload_limits
from services.kit.errors import InvalidArgument

router = APIRouter(prefix=PREFIX)
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
RESOURCES_INDEX = "_mesh_resources"
_FORMAT_KINDS = {1: files_pb2.OBJECT_KIND_FILE, 2: files_pb2.OBJECT_KIND_IMAGE}


def human_size(size: int) -> str:
    """lbai's sizes: "512B", "4.0KB", "3.88MB"."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            if unit == "B":
                return f"{int(value)}B"
            text = f"{value:.2f}".rstrip("0")
            return f"{text}0{unit}" if text.endswith(".") else f"{text}{unit}"
        value /= 1024
    raise AssertionError("unreachable")


async def _stored_reply(
    request: Request, clients: ServiceClients, info: files_pb2.ObjectInfo, expires_s: int
) -> dict[str, Any]:
    """lbai's reply for a stored file: its id and a presigned URL that lasts as long as files allows."""
    reply = await clients.call(
        clients.files.PresignUrl,
        files_pb2.PresignUrlRequest(
            ref=files_pb2.ObjectRef(id=info.id),
            expires_seconds=expires_s,
            public_base_url=public_base_url(request),
        ),
    )
    return ok({"fileId": info.id, "fileUrl": str(reply.url)})


def _file_or_image(form: FormData, limits: files_pb2.Limits) -> dict[str, Any]:
    mode = form_int(form, "auto_cloud_training", default=2, allowed=(1, 2, 3))
    # Files refuses anything else before it is kept: documents and images only.
    formats = [*limits.file_formats, *limits.image_formats, "jpg"]
    header: dict[str, Any] = {
        "folder": "cloud_space",
        "cloud_space": mode >= 2,
        "allowed_formats": formats,
        "unsupported_field": "file",
    }
    if mode == 3:
        header["ingest"] = files_pb2.IngestIntent(index_name=RESOURCES_INDEX)
    return header


def _voice(form: FormData) -> dict[str, Any]:
    transcribe = form_int(form, "voiceType", default=2, allowed=(1, 2)) == 2
    return {"folder": "voice", "kind": files_pb2.OBJECT_KIND_VOICE, "transcribe": transcribe}


@router.post(
    "/trainingSpace/addFileOrImg",
    response_model=LbaiEnvelope[UploadedFile],
    openapi_extra=form_body("multipartFile", auto_cloud_training="1, 2 or 3"),
)
async def add_file_or_img(request: Request, principal: CurrentPrincipal, clients: Clients) -> dict[str, Any]:
    """multipartFile + auto_cloud_training: 1 stored only, 2 in the cloud space, 3 cloud space and training."""
    limits = await upload_limits(clients)
    info = await store_form_file(
        request,
        clients,
        field="multipartFile",
        limit=limits.max_file_bytes,
        from_form=lambda form: _file_or_image(form, limits),
    )
    return await _stored_reply(request, clients, info, limits.max_presign_seconds)


@router.post(
    "/trainingSpace/addVoice",
    response_model=LbaiEnvelope[UploadedFile],
    openapi_extra=form_body("multipartFile", voiceType="1 or 2"),
)
async def add_voice(request: Request, principal: CurrentPrincipal, clients: Clients) -> dict[str, Any]:
    """multipartFile (mp3, wav or m4a) + voiceType: 1 keep the file, 2 (default) also transcribe it."""
    limits = await upload_limits(clients)
    info = await store_form_file(
        request, clients, field="multipartFile", limit=limits.max_voice_bytes, from_form=_voice
    )
    return await _stored_reply(request, clients, info, limits.max_presign_seconds)


@router.get("/cloudSpace/list", response_model=LbaiEnvelope[LbaiPage[CloudFile]])
async def list_cloud_space(
    request: Request,
    principal: CurrentPrincipal,
    clients: Clients,
    settings: Settings,
    pageSize: int = Query(default=10, ge=1, le=100),
    pageNum: int = Query(default=1, ge=1),
    format: int = Query(default=1),
) -> dict[str, Any]:
    """The caller's cloud space, newest first: format 1 files, 2 images."""
    if format not in _FORMAT_KINDS:
        raise InvalidArgument("format must be 1 (files) or 2 (images)", field="format")
    limits = await upload_limits(clients)
    reply = await clients.call(
        clients.files.ListObjects,
        files_pb2.ListObjectsRequest(
            kind=_FORMAT_KINDS[format],
            cloud_space_only=True,
            include_urls=True,
            expires_seconds=limits.max_presign_seconds,
            page=common_pb2.PageRequest(page=pageNum, limit=pageSize),
            public_base_url=public_base_url(request),
        ),
    )
    zone = ZoneInfo(settings.timezone)
    items = [
        {
            "fileId": info.id,
            "fileName": info.name,
            "fileSize": human_size(info.size),
            "createTime": _local(info.created_at.ToDatetime(), zone),
            "fileUrl": info.url,
            "format": info.format,
        }
        for info in reply.objects
    ]
    return ok(page(items, page_num=pageNum, page_size=pageSize, total=reply.page.total))


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).strftime(TIME_FORMAT)


@router.post("/cloudSpace/del", response_model=LbaiEnvelope[None])
async def delete_cloud_space(
    principal: CurrentPrincipal,
    clients: Clients,
    body: Annotated[list[StrictStr | StrictInt] | dict[str, list[StrictStr | StrictInt]], Body()],
) -> dict[str, Any]:
    """Delete files by id (a JSON array, or {"fileIds": [...]}): bytes, parsed text and vectors. Idempotent."""
    ids = body.get("fileIds") if isinstance(body, dict) else body
    if ids is None:
        raise InvalidArgument("fileIds is required", field="fileIds")
    if len(ids) > 1000:
        raise InvalidArgument("at most 1000 fileIds per call", field="fileIds")
    refs = [files_pb2.ObjectRef(id=str(i)) for i in ids]
    if refs:
        await clients.call(clients.files.DeleteObjects, files_pb2.DeleteObjectsRequest(refs=refs))
    return ok(None)
