"""NextConsole resource library: upload (vectors built by default), delete and download URL."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from meshconsole.files.v1 import files_pb2
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from gateway.auth import CurrentPrincipal
from gateway.clients import ServiceClients
from gateway.dialects.nextconsole.envelope import ok
from gateway.uploads import files_limits, form_files, header_for, public_base_url, put_upload, read_form
from services.kit.errors import InvalidArgument

router = APIRouter(prefix="/next_console/resources")
RESOURCES_INDEX = "_mesh_resources"


class ResourceBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    resource_id: StrictInt | StrictStr = Field(union_mode="left_to_right")


def _resource_id(body: ResourceBody) -> str:
    text = str(body.resource_id).strip()
    if not text.isdigit():
        raise InvalidArgument("resource_id must be a resource's numeric id", field="resource_id")
    return text


@router.post("/upload", response_model=None)
async def upload_resource(request: Request, principal: CurrentPrincipal) -> dict[str, Any] | Response:
    """form-data `data`: store the resource and queue its vector build into the resource library."""
    clients: ServiceClients = request.app.state.clients
    limits = await files_limits(request)
    form = await read_form(request, max_files=1)
    try:
        uploads = form_files(form, "data")
        if not uploads:
            raise InvalidArgument("data is required", field="data")
        header = header_for(
            request,
            uploads[0],
            folder="resources",
            cloud_space=True,
            ingest=files_pb2.IngestIntent(index_name=RESOURCES_INDEX),
        )
        info = await put_upload(clients, uploads[0], header, limit=limits.max_file_bytes)
    finally:
        await form.close()
    return ok({"id": info.id, "name": info.name, "url": info.url})


@router.post("/object/delete")
async def delete_resource(request: Request, principal: CurrentPrincipal, body: ResourceBody) -> dict[str, Any]:
    """Delete one resource (bytes, metadata and, through files.deleted, its vectors); 0 when it is not there."""
    clients: ServiceClients = request.app.state.clients
    reply = await clients.call(
        clients.files.DeleteObjects,
        files_pb2.DeleteObjectsRequest(refs=[files_pb2.ObjectRef(id=_resource_id(body))]),
    )
    return ok({"delete_cnt": reply.deleted_count})


@router.post("/object/download")
async def download_resource(request: Request, principal: CurrentPrincipal, body: ResourceBody) -> dict[str, Any]:
    """A presigned download URL (attachment disposition) for one resource."""
    clients: ServiceClients = request.app.state.clients
    reply = await clients.call(
        clients.files.PresignUrl,
        files_pb2.PresignUrlRequest(
            ref=files_pb2.ObjectRef(id=_resource_id(body)), download=True, public_base_url=public_base_url(request)
        ),
    )
    return ok({"download_url": reply.url})
