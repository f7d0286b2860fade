"""Nexent image proxy (/api/proxy/image): an outside image as base64, fetched by files' SSRF-safe fetcher."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Query
from meshconsole.files.v1 import files_pb2

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients
from gateway.dialects.nexent.schemas import ProxiedImage

router = APIRouter(prefix="/api/proxy")


@router.get("/image", response_model=ProxiedImage, response_model_exclude_unset=True)
async def proxy_image(
    principal: CurrentPrincipal, clients: Clients, url: str = Query(min_length=1, max_length=4096)
) -> dict[str, Any]:
    """The outbound policy, with no exception: inside addresses and bad ports are a 400 (redirects and DNS too)."""
    reply = await clients.call(clients.files.FetchImage, files_pb2.FetchImageRequest(url=url), timeout_s=30.0)
    if not reply.success:
        return {"success": False, "error": reply.error, "base64": "", "content_type": ""}
    return {"success": True, "base64": base64.b64encode(reply.data).decode("ascii"), "content_type": reply.content_type}
