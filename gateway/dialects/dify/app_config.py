"""Dify console app configuration: model-config versions, the web site, and its access token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from meshconsole.apps.v1 import apps_pb2
from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients
from gateway.dialects.dify.apps import base_url
from gateway.dialects.dify.envelope import PREFIX
from gateway.dialects.dify.schemas import DifyResult, DifySite
from gateway.dialects.dify.shapes import site, to_struct, uuid_param

router = APIRouter(prefix=PREFIX)


class SiteBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: StrictStr | None = None
    icon_type: StrictStr | None = None
    icon: StrictStr | None = None
    icon_background: StrictStr | None = None
    description: StrictStr | None = None
    default_language: StrictStr | None = None
    copyright: StrictStr | None = None
    privacy_policy: StrictStr | None = None
    custom_disclaimer: StrictStr | None = None
    customize_domain: StrictStr | None = None
    customize_token_strategy: StrictStr | None = None
    prompt_public: StrictBool | None = None


@router.post("/apps/{app_id}/model-config", response_model=DifyResult)
async def save_model_config(
    clients: Clients, principal: CurrentPrincipal, app_id: str, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Save the whole model_config body as the app's next version; apps checks every field before saving."""
    save = apps_pb2.SaveModelConfigRequest(app_id=uuid_param(app_id, field="app_id"), config=to_struct(body))
    await clients.call(clients.apps.SaveModelConfig, save, principal=principal)
    return {"result": "success"}


@router.post("/apps/{app_id}/site", response_model=DifySite)
async def update_site(
    request: Request, clients: Clients, principal: CurrentPrincipal, app_id: str, body: SiteBody
) -> dict[str, Any]:
    """Change the site's title, icon, background, description and the other attributes that were sent."""
    update = apps_pb2.UpdateSiteRequest(app_id=uuid_param(app_id, field="app_id"), **body.model_dump(exclude_none=True))
    reply = await clients.call(clients.apps.UpdateSite, update, principal=principal)
    return site(reply, base_url=base_url(request))


@router.post("/apps/{app_id}/site/access-token-reset", response_model=DifySite)
async def reset_access_token(
    request: Request, clients: Clients, principal: CurrentPrincipal, app_id: str
) -> dict[str, Any]:
    """A new public access token for the app's site; the old one stops working."""
    reset = apps_pb2.ResetSiteAccessTokenRequest(app_id=uuid_param(app_id, field="app_id"))
    reply = await clients.call(clients.apps.ResetSiteAccessToken, reset, principal=principal)
    return site(reply, base_url=base_url(request))
