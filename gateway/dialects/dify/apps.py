"""Dify console app management: list, create, detail, delete, copy, and the one-attribute updates."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from meshconsole.apps.v1 import apps_pb2
from meshconsole.common.v1 import common_pb2
from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr

from gateway.auth import CurrentPrincipal
from gateway.dialects.dify.envelope import PREFIX, page
from gateway.dialects.dify.shapes import app_detail, app_partial, mode_param, uuid_param
from services.kit.context import Principal

router = APIRouter(prefix=PREFIX)


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CreateAppBody(_Body):
    name: StrictStr
    mode: StrictStr
    icon: StrictStr | None = None
    icon_type: StrictStr | None = None
    icon_background: StrictStr | None = None
    description: StrictStr | None = None


class CopyAppBody(_Body):
    name: StrictStr | None = None
    mode: StrictStr | None = None
    icon: StrictStr | None = None
    icon_type: StrictStr | None = None
    icon_background: StrictStr | None = None
    description: StrictStr | None = None


class NameBody(_Body):
    name: StrictStr


class IconBody(_Body):
    icon: StrictStr
    icon_type: StrictStr | None = None
    icon_background: StrictStr | None = None


class SiteEnableBody(_Body):
    enable_site: StrictBool


class ApiEnableBody(_Body):
    enable_api: StrictBool


def base_url(request: Request) -> str:
    """Where this gateway is reached; Dify's app_base_url."""
    return str(request.base_url).rstrip("/")


async def _update(request: Request, principal: Principal, update: apps_pb2.UpdateAppRequest) -> dict[str, Any]:
    clients = request.app.state.clients
    reply = await clients.call(clients.apps.UpdateApp, update, principal=principal)
    return app_detail(reply, base_url=base_url(request))


@router.get("/apps")
async def list_apps(
    request: Request,
    principal: CurrentPrincipal,
    page_number: int = Query(default=1, ge=1, le=100_000, alias="page"),
    limit: int = Query(default=20, ge=1, le=100),
    name: str = Query(default="", max_length=255),
    mode: str = Query(default="all"),
) -> dict[str, Any]:
    """A page of the caller's console apps, newest first, filtered by name (substring) and mode."""
    clients = request.app.state.clients
    query = apps_pb2.ListAppsRequest(
        page=common_pb2.PageRequest(page=page_number, limit=limit),
        name=name,
        mode=apps_pb2.APP_MODE_UNSPECIFIED if mode in ("", "all") else mode_param(mode),
    )
    reply = await clients.call(clients.apps.ListApps, query, principal=principal)
    return page([app_partial(a) for a in reply.apps], page=page_number, limit=limit, total=reply.page.total)


@router.post("/apps", status_code=201)
async def create_app(request: Request, principal: CurrentPrincipal, body: CreateAppBody) -> dict[str, Any]:
    """A new app of one of Dify's five modes, with its site and a default model config."""
    clients = request.app.state.clients
    create = apps_pb2.CreateAppRequest(
        name=body.name,
        mode=mode_param(body.mode),
        icon=body.icon or "",
        icon_type=body.icon_type or "",
        icon_background=body.icon_background or "",
        description=body.description or "",
    )
    reply = await clients.call(clients.apps.CreateApp, create, principal=principal)
    return app_detail(reply, base_url=base_url(request))


@router.get("/apps/{app_id}")
async def get_app(request: Request, principal: CurrentPrincipal, app_id: str) -> dict[str, Any]:
    """The app with its current model config and site."""
    clients = request.app.state.clients
    query = apps_pb2.GetAppRequest(app_id=uuid_param(app_id, field="app_id"))
    reply = await clients.call(clients.apps.GetApp, query, principal=principal)
    return app_detail(reply, base_url=base_url(request))


@router.delete("/apps/{app_id}", status_code=204)
async def delete_app(request: Request, principal: CurrentPrincipal, app_id: str) -> Response:
    """Delete the app; its sessions and conversations follow through mesh.events.apps.deleted."""
    clients = request.app.state.clients
    query = apps_pb2.DeleteAppRequest(app_id=uuid_param(app_id, field="app_id"))
    await clients.call(clients.apps.DeleteApp, query, principal=principal)
    return Response(status_code=204)


@router.post("/apps/{app_id}/copy", status_code=201)
async def copy_app(request: Request, principal: CurrentPrincipal, app_id: str, body: CopyAppBody) -> dict[str, Any]:
    """A new app with the given name, icon and mode and a deep copy of the current model config."""
    clients = request.app.state.clients
    copy = apps_pb2.CopyAppRequest(
        app_id=uuid_param(app_id, field="app_id"),
        name=body.name or "",
        mode=mode_param(body.mode) if body.mode else apps_pb2.APP_MODE_UNSPECIFIED,
        icon=body.icon or "",
        icon_type=body.icon_type or "",
        icon_background=body.icon_background or "",
        description=body.description or "",
    )
    reply = await clients.call(clients.apps.CopyApp, copy, principal=principal)
    return app_detail(reply, base_url=base_url(request))


@router.post("/apps/{app_id}/name")
async def rename_app(request: Request, principal: CurrentPrincipal, app_id: str, body: NameBody) -> dict[str, Any]:
    """Rename the app."""
    update = apps_pb2.UpdateAppRequest(app_id=uuid_param(app_id, field="app_id"), name=body.name)
    return await _update(request, principal, update)


@router.post("/apps/{app_id}/icon")
async def set_icon(request: Request, principal: CurrentPrincipal, app_id: str, body: IconBody) -> dict[str, Any]:
    """Change the app's icon (and, when sent, its background and type)."""
    update = apps_pb2.UpdateAppRequest(app_id=uuid_param(app_id, field="app_id"), icon=body.icon)
    if body.icon_background is not None:
        update.icon_background = body.icon_background
    if body.icon_type is not None:
        update.icon_type = body.icon_type
    return await _update(request, principal, update)


@router.post("/apps/{app_id}/site-enable")
async def site_enable(
    request: Request, principal: CurrentPrincipal, app_id: str, body: SiteEnableBody
) -> dict[str, Any]:
    """Turn the app's public web site on or off."""
    update = apps_pb2.UpdateAppRequest(app_id=uuid_param(app_id, field="app_id"), enable_site=body.enable_site)
    return await _update(request, principal, update)


@router.post("/apps/{app_id}/api-enable")
async def api_enable(request: Request, principal: CurrentPrincipal, app_id: str, body: ApiEnableBody) -> dict[str, Any]:
    """Turn the app's API access on or off."""
    update = apps_pb2.UpdateAppRequest(app_id=uuid_param(app_id, field="app_id"), enable_api=body.enable_api)
    return await _update(request, principal, update)
