"""Dify console app management: list, create, detail, delete, copy, and the one-attribute updates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from meshconsole.apps.v1 import apps_pb2
from meshconsole.common.v1 import common_pb2
from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients
from gateway.dialects.dify.envelope import PREFIX, page
from gateway.dialects.dify.schemas import DifyApp, DifyAppListItem, DifyPage
from gateway.dialects.dify.shapes import app_detail, app_partial, mode_param, uuid_param
from gateway.uploads import public_base_url

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
    """Where clients reach the mesh (MESH_PUBLIC_BASE_URL); Dify's app_base_url."""
    return public_base_url(request)


@router.get("/apps", response_model=DifyPage[DifyAppListItem])
async def list_apps(
    clients: Clients,
    principal: CurrentPrincipal,
    page_number: int = Query(default=1, ge=1, le=100_000, alias="page"),
    limit: int = Query(default=20, ge=1, le=100),
    name: str = Query(default="", max_length=255),
    mode: str = Query(default="all"),
) -> dict[str, Any]:
    """A page of the caller's console apps, newest first, filtered by name (substring) and mode."""
    query = apps_pb2.ListAppsRequest(
        page=common_pb2.PageRequest(page=page_number, limit=limit),
        name=name,
        mode=apps_pb2.APP_MODE_UNSPECIFIED if mode in ("", "all") else mode_param(mode),
    )
    reply = await clients.call(clients.apps.ListApps, query, principal=principal)
    return page([app_partial(a) for a in reply.apps], page=page_number, limit=limit, total=reply.page.total)


@router.post("/apps", status_code=201, response_model=DifyApp)
async def create_app(
    request: Request, clients: Clients, principal: CurrentPrincipal, body: CreateAppBody
) -> dict[str, Any]:
    """A new app of one of Dify's five modes, with its site and a default model config."""
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


@router.get("/apps/{app_id}", response_model=DifyApp)
async def get_app(request: Request, clients: Clients, principal: CurrentPrincipal, app_id: str) -> dict[str, Any]:
    """The app with its current model config and site."""
    query = apps_pb2.GetAppRequest(app_id=uuid_param(app_id, field="app_id"))
    reply = await clients.call(clients.apps.GetApp, query, principal=principal)
    return app_detail(reply, base_url=base_url(request))


@router.delete("/apps/{app_id}", status_code=204)
async def delete_app(clients: Clients, principal: CurrentPrincipal, app_id: str) -> Response:
    """Delete the app; its sessions and conversations follow through mesh.events.apps.deleted."""
    query = apps_pb2.DeleteAppRequest(app_id=uuid_param(app_id, field="app_id"))
    await clients.call(clients.apps.DeleteApp, query, principal=principal)
    return Response(status_code=204)


@router.post("/apps/{app_id}/copy", status_code=201, response_model=DifyApp)
async def copy_app(
    request: Request, clients: Clients, principal: CurrentPrincipal, app_id: str, body: CopyAppBody
) -> dict[str, Any]:
    """A new app with the given name, icon and mode and a deep copy of the current model config."""
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


def _one_attribute(name: str, body_type: type[_Body], doc: str) -> Callable[..., Awaitable[dict[str, Any]]]:
    """A route that sets the attributes its body sends (the ones not null) and answers the app detail."""

    async def update(
        request: Request, clients: Clients, principal: CurrentPrincipal, app_id: str, body: _Body
    ) -> dict[str, Any]:
        changes = body.model_dump(exclude_none=True)
        change = apps_pb2.UpdateAppRequest(app_id=uuid_param(app_id, field="app_id"), **changes)
        reply = await clients.call(clients.apps.UpdateApp, change, principal=principal)
        return app_detail(reply, base_url=base_url(request))

    # FastAPI reads the body's model from the annotation, so each route names its own.
    update.__annotations__ = {**update.__annotations__, "body": body_type}
    update.__name__, update.__doc__ = name, doc
    return update


# The one-attribute updates: path -> (route name, body, docstring).
ONE_ATTRIBUTE: dict[str, tuple[str, type[_Body], str]] = {
    "name": ("rename_app", NameBody, "Rename the app."),
    "icon": ("set_icon", IconBody, "Change the app's icon (and, when sent, its background and type)."),
    "site-enable": ("site_enable", SiteEnableBody, "Turn the app's public web site on or off."),
    "api-enable": ("api_enable", ApiEnableBody, "Turn the app's API access on or off."),
}
for _path, (_name, _body, _doc) in ONE_ATTRIBUTE.items():
    router.add_api_route(
        f"/apps/{{app_id}}/{_path}", _one_attribute(_name, _body, _doc), methods=["POST"], response_model=DifyApp
    )
