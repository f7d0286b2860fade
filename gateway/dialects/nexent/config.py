"""Nexent app config: save and load the caller's app, models and data config (API keys masked on load)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from meshconsole.apps.v1 import apps_pb2

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients
from gateway.dialects.dify.shapes import struct_dict, to_struct
from gateway.dialects.nexent.schemas import LoadedConfig, SavedConfig
from gateway.fields import FreeForm

router = APIRouter(prefix="/api/config")


@router.post("/save_config", response_model=SavedConfig)
async def save_config(
    principal: CurrentPrincipal, clients: Clients, body: Annotated[FreeForm, Body()]
) -> dict[str, Any]:
    """Store the whole config; an apiKey sent back masked keeps the stored key."""
    save = apps_pb2.SaveNexentConfigRequest(config=to_struct(body))
    await clients.call(clients.apps.SaveNexentConfig, save, principal=principal)
    return {"message": "配置保存成功", "status": "saved"}


@router.get("/load_config", response_model=LoadedConfig)
async def load_config(principal: CurrentPrincipal, clients: Clients) -> dict[str, Any]:
    """The caller's config (Nexent's defaults before the first save), every apiKey masked."""
    reply = await clients.call(clients.apps.LoadNexentConfig, apps_pb2.LoadNexentConfigRequest(), principal=principal)
    return {"config": struct_dict(reply.config)}
