"""Nexent app config: save and load the caller's app, models and data config (API keys masked on load)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from meshconsole.apps.v1 import apps_pb2

from gateway.auth import CurrentPrincipal
from gateway.dialects.dify.shapes import struct_dict, to_struct

router = APIRouter(prefix="/api/config")


@router.post("/save_config")
async def save_config(
    request: Request, principal: CurrentPrincipal, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Store the whole config; an apiKey sent back masked keeps the stored key."""
    clients = request.app.state.clients
    save = apps_pb2.SaveNexentConfigRequest(config=to_struct(body))
    await clients.call(clients.apps.SaveNexentConfig, save, principal=principal)
    return {"message": "配置保存成功", "status": "saved"}


@router.get("/load_config")
async def load_config(request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    """The caller's config (Nexent's defaults before the first save), every apiKey masked."""
    clients = request.app.state.clients
    reply = await clients.call(clients.apps.LoadNexentConfig, apps_pb2.LoadNexentConfigRequest(), principal=principal)
    return {"config": struct_dict(reply.config)}
