"""lbai training ground ("personalized token"): add a file, list the tasks, retry a failed one."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from meshconsole.common.v1 import common_pb2
from meshconsole.files.v1 import files_pb2
from meshconsole.retrieval.v1 import retrieval_pb2

from gateway.auth import CurrentPrincipal
from gateway.clients import ServiceClients
from gateway.deps import Clients, Settings
from gateway.dialects.lbai.envelope import PREFIX, ok, page
from gateway.dialects.lbai.schemas import LbaiEnvelope, LbaiPage, TrainingTask
from gateway.uploads import form_body, public_base_url, store_form_file, upload_limits
from services.kit.errors import InvalidArgument

router = APIRouter(prefix=f"{PREFIX}/aiTrainingGround")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# Formats the parsers read (doc, ppt and wps are refused up front rather than failing later).
TRAINABLE = ("pdf", "docx", "pptx", "xlsx", "csv", "txt", "md")
_TRAINED = {
    retrieval_pb2.TASK_STATUS_WAIT_FOR_PROCESSING: 0,
    retrieval_pb2.TASK_STATUS_WAIT_FOR_FORWARDING: 1,
    retrieval_pb2.TASK_STATUS_PROCESSING: 1,
    retrieval_pb2.TASK_STATUS_FORWARDING: 1,
    retrieval_pb2.TASK_STATUS_COMPLETED: 2,
    retrieval_pb2.TASK_STATUS_FAILED: 3,
}


@router.post("/add", response_model=LbaiEnvelope[None], openapi_extra=form_body("multipartFile"))
async def add(request: Request, principal: CurrentPrincipal, clients: Clients) -> dict[str, Any]:
    """multipartFile: store it and queue its ingestion and Q&A pass into the caller's training index."""
    limits = await upload_limits(clients)
    info = await store_form_file(
        request,
        clients,
        field="multipartFile",
        limit=limits.max_file_bytes,
        folder="training",
        allowed_formats=list(TRAINABLE),
        unsupported_field="multipartFile",
    )
    await clients.call(
        clients.retrieval.AddTraining, retrieval_pb2.AddTrainingRequest(object_id=info.id, file_name=info.name)
    )
    return ok(None)


@router.get("/list", response_model=LbaiEnvelope[LbaiPage[TrainingTask]])
async def list_training(
    request: Request,
    principal: CurrentPrincipal,
    clients: Clients,
    settings: Settings,
    pageSize: int = Query(default=10, ge=1, le=100),
    pageNum: int = Query(default=1, ge=1),
    type: int = Query(default=1),
) -> dict[str, Any]:
    """type 1: every training task (management); type 2: the finished ones (results)."""
    if type not in (1, 2):
        raise InvalidArgument("type must be 1 (management) or 2 (results)", field="type")
    view = retrieval_pb2.TRAINING_VIEW_RESULTS if type == 2 else retrieval_pb2.TRAINING_VIEW_MANAGE
    reply = await clients.call(
        clients.retrieval.ListTraining,
        retrieval_pb2.ListTrainingRequest(view=view, page=common_pb2.PageRequest(page=pageNum, limit=pageSize)),
    )
    urls = await _urls(request, clients, [item.object_id for item in reply.items])
    zone = ZoneInfo(settings.timezone)
    items = [
        {
            "fileId": item.file_id,
            "fileName": item.file_name,
            "beBeingTrainedTime": _local(item.created_at.ToDatetime(), zone),
            "trainedStatus": _TRAINED.get(item.status, 0),
            "fileUrl": urls.get(item.object_id, ""),
            "errorMessage": item.error or None,
        }
        for item in reply.items
    ]
    return ok(page(items, page_num=pageNum, page_size=pageSize, total=reply.page.total))


@router.get("/retry", response_model=LbaiEnvelope[None])
async def retry(
    principal: CurrentPrincipal, clients: Clients, fileId: str = Query(min_length=1, max_length=64)
) -> dict[str, Any]:
    """Re-queue a failed training task; any other state is refused with a clear message."""
    await clients.call(clients.retrieval.RetryTraining, retrieval_pb2.RetryTrainingRequest(file_id=fileId))
    return ok(None)


async def _urls(request: Request, clients: ServiceClients, object_ids: list[str]) -> dict[str, str]:
    wanted = [i for i in dict.fromkeys(object_ids) if i]
    if not wanted:
        return {}
    reply = await clients.call(
        clients.files.BatchPresign,
        files_pb2.BatchPresignRequest(
            refs=[files_pb2.ObjectRef(id=i) for i in wanted], public_base_url=public_base_url(request)
        ),
    )
    return {entry.object_id: entry.url for entry in reply.urls if entry.success}


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).strftime(TIME_FORMAT)
