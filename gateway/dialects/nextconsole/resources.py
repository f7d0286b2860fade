"""NextConsole resource library: upload (vectors built by default), delete and download URL."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from meshconsole.files.v1 import files_pb2
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients
from gateway.dialects.nextconsole.envelope import ok
from gateway.dialects.nextconsole.schemas import DeleteCount, DownloadUrl, NextConsoleEnvelope, UploadedResource
from gateway.uploads import form_body, public_base_url, store_form_file, upload_limits
from services.kit.errors import InvalidArgument

router = APIRouter(prefix="/next_console/resources")
RESOURCES_INDEX = "_mesh_resources"


class ResourceBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    resource_id: StrictInt | StrictStr = Field(union_mode="left_to_right")


def _resource_id(body: ResourceBody) -> str:
    text = str(body.resource_id).strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise InvalidArgument("resource_id must be a resource's numeric id", field="resource_id")
    return text


@router.post("/upload", response_model=NextConsoleEnvelope[UploadedResource], openapi_extra=form_body("data"))
async def upload_resource(request: Request, principal: CurrentPrincipal, clients: Clients) -> dict[str, Any]:
    """form-data `data`: store the resource and queue its vector build into the resource library."""
    limits = await upload_limits(clients)
    info = await store_form_file(
        request,
        clients,
        field="data",
        limit=limits.max_file_bytes,
        folder="resources",
        cloud_space=True,
        ingest=files_pb2.IngestIntent(index_name=RESOURCES_INDEX),
    )
    return ok({"id": info.id, "name": info.name, "url": info.url})


@router.post("/object/delete", response_model=NextConsoleEnvelope[DeleteCount])
async def delete_resource(principal: CurrentPrincipal, clients: Clients, body: ResourceBody) -> dict[str, Any]:
    """Delete one resource (bytes, metadata and, through files.deleted, its vectors); 0 when it is not there."""
    reply = await clients.call(
        clients.files.DeleteObjects,
        files_pb2.DeleteObjectsRequest(refs=[files_pb2.ObjectRef(id=_resource_id(body))]),
    )
    return ok({"delete_cnt": reply.deleted_count})


@router.post("/object/download", response_model=NextConsoleEnvelope[DownloadUrl])
async def download_resource(
    request: Request, principal: CurrentPrincipal, clients: Clients, body: ResourceBody
) -> dict[str, Any]:
    """A presigned download URL (attachment disposition) for one resource."""
    reply = await clients.call(
        clients.files.PresignUrl,
        files_pb2.PresignUrlRequest(
            ref=files_pb2.ObjectRef(id=_resource_id(body)), download=True, public_base_url=public_base_url(request)
        ),
    )
    return ok({"download_url": reply.url})
