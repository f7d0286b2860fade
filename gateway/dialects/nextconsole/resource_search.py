"""NextConsole resource library search and vector rebuild."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from meshconsole.common.v1 import common_pb2
from meshconsole.identity.v1 import identity_pb2
from meshconsole.retrieval.v1 import retrieval_pb2
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from gateway.auth import CurrentPrincipal
from gateway.clients import ServiceClients
from gateway.deps import Clients
from gateway.dialects.nextconsole.envelope import ok
from gateway.dialects.nextconsole.schemas import BuildCount, NextConsoleEnvelope, ResourceSearch
from services.kit.errors import MeshError

router = APIRouter(prefix="/next_console/resources")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class ResourceSearchBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    resource_keyword: StrictStr = Field(min_length=1, max_length=500)
    rag_enhance: StrictBool = True
    page_size: int = Field(default=50, ge=1, le=200)
    page_num: int = Field(default=1, ge=1, le=100_000)


class RebuildBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    resource_list: list[StrictInt | StrictStr] = Field(min_length=1, max_length=500)


def _resource(hit: retrieval_pb2.ResourceHit) -> dict[str, Any]:
    return {
        "id": int(hit.resource_id) if hit.resource_id.isdigit() else hit.resource_id,
        "resource_id": hit.resource_id,
        "resource_name": hit.resource_name,
        "resource_format": hit.resource_format,
        "resource_size": hit.resource_size,
        "resource_type": "document",
        "user_id": hit.author_id,
        "create_time": hit.create_time.ToDatetime().strftime(TIME_FORMAT),
        "snippet": hit.snippet,
        "score": round(hit.score, 6),
    }


async def _authors(clients: ServiceClients, ids: list[int]) -> list[dict[str, Any]]:
    authors = []
    for user_id in ids:
        try:
            user = await clients.call(clients.identity.GetUser, identity_pb2.GetUserRequest(user_id=user_id))
        except MeshError:
            authors.append({"user_id": user_id})
            continue
        authors.append(
            {
                "user_id": user.user_id,
                "user_name": user.user_name,
                "user_nick_name": user.user_nick_name,
                "user_avatar": user.user_avatar,
                "user_email": user.user_email,
            }
        )
    return authors


# exclude_unset: an author identity could not name stays {"user_id"} alone.
@router.post(
    "/search_by_resource_keyword", response_model=NextConsoleEnvelope[ResourceSearch], response_model_exclude_unset=True
)
async def search_by_keyword(principal: CurrentPrincipal, clients: Clients, body: ResourceSearchBody) -> dict[str, Any]:
    """rag_enhance (default): hybrid search over the caller's resource library; else a name and keyword match."""
    reply = await clients.call(
        clients.retrieval.SearchResources,
        retrieval_pb2.SearchResourcesRequest(
            resource_keyword=body.resource_keyword,
            rag_enhance=body.rag_enhance,
            page=common_pb2.PageRequest(page=body.page_num, limit=body.page_size),
        ),
    )
    return ok(
        {
            "data": [_resource(h) for h in reply.data],
            "author_info": await _authors(clients, list(reply.author_ids)),
            "total": reply.total,
        }
    )


@router.post("/ref/rebuild", response_model=NextConsoleEnvelope[BuildCount])
async def rebuild(principal: CurrentPrincipal, clients: Clients, body: RebuildBody) -> dict[str, Any]:
    """Clear the listed resources' vectors and queue a fresh build of each."""
    reply = await clients.call(
        clients.retrieval.RebuildResources,
        retrieval_pb2.RebuildResourcesRequest(resource_ids=[str(r) for r in body.resource_list]),
    )
    return ok({"build_cnt": reply.build_cnt})
