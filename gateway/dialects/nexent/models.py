"""Nexent model routes: /api/model/* (the company's registry) and /api/me/* (the default upstream)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Query, Request
from google.protobuf import json_format
from meshconsole.chat.v1 import chat_pb2
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients
from gateway.dialects.nexent.envelope import model_ok
from gateway.dialects.nexent.schemas import (
    Connectivity,
    Envelope,
    Health,
    ModelItem,
    ModelName,
    ModelStatus,
    UpstreamModel,
)
from services.kit.errors import InvalidArgument
from services.kit.proto_enums import wire_names

# Decisions: a failed check is still HTTP 200 (status "Disconnected", a status of ours in desc, never the
# remote's words); writes and verify_config are for company admins (403 otherwise); /me/*
# spells connect_status in capitals as the seed shows, /model/* uses Nexent's lower-case values; GET routes
# take model_name from the query string, or from a JSON body as the seed lists it.
router = APIRouter(prefix="/api")
# Checks are bounded by the chat service's own short timeout; the RPC deadline only has to outlast it.
CHECK_DEADLINE_S = 60.0
MAX_TIMEOUT_S = 60
MODEL_TYPES = wire_names(chat_pb2.ModelType, prefix="MODEL_TYPE_")
TYPE_NAMES = {value: key for key, value in MODEL_TYPES.items()}
CONNECT_STATUSES = wire_names(chat_pb2.ConnectStatus, prefix="CONNECT_STATUS_")
STATUS_NAMES = {value: key for key, value in CONNECT_STATUSES.items()}
TimeoutQuery = Query(
    default=None, alias="timeout", ge=1, le=MAX_TIMEOUT_S, description="seconds; capped by the service's own limit"
)


class ModelBody(BaseModel):
    """/model/create, /model/update, /model/verify_config: Nexent's model fields (None = not given)."""

    model_config = ConfigDict(extra="ignore", protected_namespaces=())

    model_name: StrictStr = Field(max_length=256)
    model_repo: StrictStr | None = Field(default=None, max_length=256)
    display_name: StrictStr | None = Field(default=None, max_length=256)
    model_type: StrictStr | None = Field(default=None, max_length=32)
    base_url: StrictStr | None = Field(default=None, max_length=2048)
    api_key: StrictStr | None = Field(default=None, max_length=8192)
    max_tokens: int | None = Field(default=None, ge=0)
    embedding_dim: int | None = Field(default=None, ge=0)
    connect_status: StrictStr | None = Field(default=None, max_length=32)
    is_default: bool | None = None
    timeout: int | None = Field(default=None, ge=1, le=MAX_TIMEOUT_S)


class NameBody(BaseModel):
    model_config = ConfigDict(extra="ignore", protected_namespaces=())

    model_name: StrictStr = Field(max_length=256)


class StatusBody(NameBody):
    connect_status: StrictStr = Field(max_length=32)


def model_type(value: str | None) -> int:
    """Nexent's model_type string as the proto enum; unknown names are bad input."""
    if value is None or not value.strip():
        return chat_pb2.MODEL_TYPE_UNSPECIFIED
    found = MODEL_TYPES.get(value.strip().lower())
    if found is None:
        raise InvalidArgument(f"model_type must be one of {', '.join(MODEL_TYPES)}", field="model_type")
    return found


def connect_status(value: str | None) -> int:
    """Nexent's connect_status string (any case) as the proto enum."""
    if value is None or not value.strip():
        return chat_pb2.CONNECT_STATUS_UNSPECIFIED
    found = CONNECT_STATUSES.get(value.strip().lower().replace(" ", "_"))
    if found is None:
        raise InvalidArgument(f"connect_status must be one of {', '.join(CONNECT_STATUSES)}", field="connect_status")
    return found


def _limit(value: int | None) -> int:
    return min(int(value or 0), 2**31 - 1)


def entry_dict(entry: chat_pb2.ModelEntry) -> dict[str, Any]:
    """One model as /model/list shows it; the api key arrives masked from the service."""
    return {
        "model_id": entry.model_id,
        "model_name": entry.model_name,
        "model_repo": entry.model_repo,
        "display_name": entry.display_name,
        "model_type": TYPE_NAMES.get(entry.model_type, ""),
        "provider": entry.provider,
        "base_url": entry.base_url,
        "api_key": entry.api_key,
        "max_tokens": entry.max_tokens,
        "embedding_dim": entry.embedding_dim,
        "connect_status": STATUS_NAMES.get(entry.connect_status, "not_detected"),
        "is_default": entry.is_default,
        "is_platform": entry.is_platform,
        "create_time": entry.created_at.ToJsonString(),
        "update_time": entry.updated_at.ToJsonString(),
    }


def health_dict(result: chat_pb2.HealthResult, *, upper: bool = False) -> dict[str, Any]:
    """Nexent's health data; /me/* spells connect_status in capitals, as its seed shows."""
    status = STATUS_NAMES.get(result.connect_status, "unavailable")
    return {
        "status": "Connected" if result.connected else "Disconnected",
        "desc": result.desc,
        "connect_status": status.upper() if upper else status,
    }


async def model_name_param(request: Request, model_name: str | None) -> str:
    """A GET route's model_name: from the query string, or from a JSON body as the seed lists it."""
    if model_name is None and request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = orjson.loads(await request.body() or b"{}")
        except orjson.JSONDecodeError:
            raise InvalidArgument("request body must be a JSON object", field="body") from None
        value = body.get("model_name") if isinstance(body, dict) else None
        model_name = value if isinstance(value, str) else None
    if model_name is None or not model_name.strip():
        raise InvalidArgument("model_name is required", field="model_name")
    return model_name


@router.post("/model/create", response_model=Envelope[None])
async def create_model(principal: CurrentPrincipal, clients: Clients, body: ModelBody) -> dict[str, Any]:
    """Register a model for the caller's company (company admins only)."""
    entry = chat_pb2.ModelEntry(
        model_name=body.model_name,
        model_repo=body.model_repo or "",
        display_name=body.display_name or "",
        model_type=model_type(body.model_type),
        base_url=body.base_url or "",
        api_key=body.api_key or "",
        max_tokens=_limit(body.max_tokens),
        embedding_dim=_limit(body.embedding_dim),
        connect_status=connect_status(body.connect_status),
        is_default=bool(body.is_default),
    )
    await clients.call(clients.models.CreateModel, chat_pb2.CreateModelRequest(model=entry))
    return model_ok(None, "Model created successfully")


@router.post("/model/update", response_model=Envelope[ModelName])
async def update_model(principal: CurrentPrincipal, clients: Clients, body: ModelBody) -> dict[str, Any]:
    """Change the given fields of a company model (company admins only)."""
    update = chat_pb2.UpdateModelRequest(model_name=body.model_name)
    for name in ("display_name", "base_url", "api_key", "model_repo", "is_default"):
        value = getattr(body, name)
        if value is not None:
            setattr(update, name, value)
    for name in ("max_tokens", "embedding_dim"):
        if getattr(body, name) is not None:
            setattr(update, name, _limit(getattr(body, name)))
    if body.model_type is not None and body.model_type.strip():
        update.model_type = model_type(body.model_type)
    if body.connect_status is not None and body.connect_status.strip():
        update.connect_status = connect_status(body.connect_status)
    entry = await clients.call(clients.models.UpdateModel, update)
    return model_ok({"model_name": entry.model_name}, "Model updated successfully")


@router.post("/model/delete", response_model=Envelope[ModelName])
async def delete_model(principal: CurrentPrincipal, clients: Clients, body: NameBody) -> dict[str, Any]:
    """Remove a company model (company admins only)."""
    await clients.call(clients.models.DeleteModel, chat_pb2.DeleteModelRequest(model_name=body.model_name))
    return model_ok({"model_name": body.model_name.strip()}, "Model deleted successfully")


@router.get("/model/list", response_model=Envelope[list[ModelItem]])
async def list_models(
    principal: CurrentPrincipal, clients: Clients, model_type_filter: str | None = Query(None, alias="model_type")
) -> dict[str, Any]:
    """The platform default and the company's models."""
    reply = await clients.call(
        clients.models.ListModels, chat_pb2.ListModelsRequest(model_type=model_type(model_type_filter))
    )
    return model_ok([entry_dict(m) for m in reply.models], "Successfully retrieved model list")


@router.get("/model/healthcheck", response_model=Envelope[Health])
async def model_healthcheck(
    request: Request,
    principal: CurrentPrincipal,
    clients: Clients,
    model_name: str | None = None,
    wait_s: int | None = TimeoutQuery,
) -> dict[str, Any]:
    """A live check of a registered model; its connect_status is recorded."""
    name = await model_name_param(request, model_name)
    check = chat_pb2.CheckModelHealthRequest(model_name=name, timeout_seconds=wait_s or 0)
    result = await clients.call(clients.models.CheckModelHealth, check, timeout_s=CHECK_DEADLINE_S)
    message = "Model health check successful" if result.connected else "Model health check failed"
    return model_ok(health_dict(result), message)


@router.get("/model/get_connect_status", response_model=Envelope[ModelStatus])
async def get_connect_status(
    request: Request, principal: CurrentPrincipal, clients: Clients, model_name: str | None = None
) -> dict[str, Any]:
    """The recorded connect_status of a model."""
    name = await model_name_param(request, model_name)
    entry = await clients.call(clients.models.GetModel, chat_pb2.GetModelRequest(model_name=name))
    data = {"model_name": entry.model_name, "connect_status": STATUS_NAMES.get(entry.connect_status, "not_detected")}
    return model_ok(data, "Successfully retrieved connection status")


@router.post("/model/update_connect_status", response_model=Envelope[ModelStatus])
async def update_connect_status(principal: CurrentPrincipal, clients: Clients, body: StatusBody) -> dict[str, Any]:
    """Set a company model's connect_status (company admins only)."""
    status = connect_status(body.connect_status)
    if status == chat_pb2.CONNECT_STATUS_UNSPECIFIED:
        raise InvalidArgument("connect_status is required", field="connect_status")
    update = chat_pb2.UpdateModelRequest(model_name=body.model_name, connect_status=status)
    entry = await clients.call(clients.models.UpdateModel, update)
    data = {"model_name": entry.model_name, "connect_status": STATUS_NAMES[entry.connect_status]}
    return model_ok(data, "Successfully updated connection status")


@router.post("/model/verify_config", response_model=Envelope[Connectivity])
async def verify_config(principal: CurrentPrincipal, clients: Clients, body: ModelBody) -> dict[str, Any]:
    """A real connectivity check of an unsaved configuration (company admins only); nothing is stored."""
    check = chat_pb2.VerifyModelConfigRequest(
        model_name=body.model_name,
        model_type=model_type(body.model_type),
        base_url=body.base_url or "",
        api_key=body.api_key or "",
        max_tokens=_limit(body.max_tokens),
        embedding_dim=_limit(body.embedding_dim),
        timeout_seconds=body.timeout or 0,
    )
    result = await clients.call(clients.models.VerifyModelConfig, check, timeout_s=CHECK_DEADLINE_S)
    data = {
        "connectivity": result.connectivity,
        "message": result.message,
        "connect_status": STATUS_NAMES.get(result.connect_status, "unavailable"),
    }
    return model_ok(data, "模型配置连通性验证成功" if result.connectivity else "模型配置连通性验证失败")


@router.get("/me/model/list", response_model=Envelope[list[UpstreamModel]])
async def me_model_list(
    principal: CurrentPrincipal,
    clients: Clients,
    kind: str | None = Query(None, alias="type", max_length=32),
    wait_s: int | None = TimeoutQuery,
) -> dict[str, Any]:
    """The models the default upstream (OPENAI_BASE_URL) serves, optionally of one type."""
    listing = chat_pb2.ListUpstreamModelsRequest(type=(kind or "").strip(), timeout_seconds=wait_s or 0)
    reply = await clients.call(clients.models.ListUpstreamModels, listing, timeout_s=CHECK_DEADLINE_S)
    models = [json_format.MessageToDict(m, always_print_fields_with_no_presence=True) for m in reply.models]
    return model_ok(models, "Successfully retrieved")


@router.get("/me/healthcheck", response_model=Envelope[Health])
async def me_healthcheck(
    principal: CurrentPrincipal, clients: Clients, wait_s: int | None = TimeoutQuery
) -> dict[str, Any]:
    """Whether the default upstream answers."""
    check = chat_pb2.CheckUpstreamHealthRequest(timeout_seconds=wait_s or 0)
    result = await clients.call(clients.models.CheckUpstreamHealth, check, timeout_s=CHECK_DEADLINE_S)
    message = "Connection successful" if result.connected else "Connection failed"
    return model_ok(health_dict(result, upper=True), message)


@router.get("/me/model/healthcheck", response_model=Envelope[Health])
async def me_model_healthcheck(
    request: Request,
    principal: CurrentPrincipal,
    clients: Clients,
    model_name: str | None = None,
    wait_s: int | None = TimeoutQuery,
) -> dict[str, Any]:
    """Whether the default upstream serves one model and it answers."""
    name = await model_name_param(request, model_name)
    check = chat_pb2.CheckUpstreamHealthRequest(model_name=name, timeout_seconds=wait_s or 0)
    result = await clients.call(clients.models.CheckUpstreamHealth, check, timeout_s=CHECK_DEADLINE_S)
    message = "Model health check successful" if result.connected else "Model health check failed"
    return model_ok(health_dict(result, upper=True), message)
