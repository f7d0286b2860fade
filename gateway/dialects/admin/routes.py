"""Admin routes: users, companies and API keys (admin token only), mesh status, health, readiness and metrics."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import grpc
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from grpc_health.v1 import health_pb2, health_pb2_grpc
from meshconsole.common.v1 import common_pb2
from meshconsole.files.v1 import files_pb2
from meshconsole.identity.v1 import identity_pb2
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr
from redis.exceptions import RedisError

from gateway.auth import AdminPrincipal, CurrentPrincipal
from gateway.clients import ServiceClients
from gateway.config import GatewaySettings
from gateway.deps import Clients, Settings
from gateway.dialects.admin import stock_dataset
from gateway.dialects.admin.schemas import (
    AdminApiKey,
    AdminCreatedUser,
    AdminLimits,
    AdminRevokedKey,
    AdminStatus,
    AdminUserAccess,
    AdminUserPage,
)
from gateway.dialects.nextconsole.users import user_dict
from gateway.errors import Dialect, render_default
from services.kit.settings import SERVICE_NAMES

PREFIX = "/admin/v1"
router = APIRouter(prefix=PREFIX)
probes = APIRouter()
DIALECT = Dialect(name="admin", prefix=PREFIX, render=render_default)
router.include_router(stock_dataset.router)  # POST /admin/v1/stock-dataset, in its own module


# One password rule: login takes sha256(raw.strip()) hex; the admin API takes that same digest or the raw password.
SHA256_HEX = "^[0-9a-fA-F]{64}$"
RAW_PASSWORD = "the raw password (at least 8 characters); MeshConsole hashes it as a NextConsole client would"
DIGEST_PASSWORD = "what login takes: sha256(password.strip()) as hex; send this or password, not both"


class CreateUserBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: StrictStr = Field(min_length=3, max_length=255)
    password: StrictStr | None = Field(default=None, min_length=8, max_length=128, description=RAW_PASSWORD)
    password_sha256: StrictStr | None = Field(default=None, pattern=SHA256_HEX, description=DIGEST_PASSWORD)
    company: StrictStr = Field(min_length=1, max_length=128)
    nick_name: StrictStr = Field(default="", max_length=64)
    roles: list[StrictStr] = Field(default_factory=lambda: ["user"], max_length=4)


class UserAccessBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["active", "disabled"] | None = None
    password: StrictStr | None = Field(default=None, min_length=8, max_length=128, description=RAW_PASSWORD)
    password_sha256: StrictStr | None = Field(default=None, pattern=SHA256_HEX, description=DIGEST_PASSWORD)
    end_sessions: StrictBool = False


class CreateApiKeyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: int = Field(ge=1)
    kind: str = Field(pattern="^(user|company)$")


@router.post("/users", status_code=201, response_model=AdminCreatedUser)
async def create_user(clients: Clients, principal: AdminPrincipal, body: CreateUserBody) -> dict[str, Any]:
    """Create a user (and its company when new).

    The password comes as `password_sha256`, exactly what login takes (sha256(password.strip()) as hex), or as
    the raw `password`, which MeshConsole hashes the same way; one of the two.
    """
    reply = await clients.call(
        clients.identity.CreateUser,
        identity_pb2.CreateUserRequest(
            account=body.account,
            password=body.password or "",
            password_sha256=body.password_sha256 or "",
            company=body.company,
            nick_name=body.nick_name,
            roles=body.roles,
        ),
    )
    user = user_dict(reply)
    return {
        "user_id": user["user_id"],
        "company_id": user["user_company_id"],
        "account": user["user_account"],
        "company": user["user_company"],
        "nick_name": user["user_nick_name"],
        "roles": user["user_role"],
    }


@router.get("/users", response_model=AdminUserPage)
async def list_users(
    clients: Clients,
    principal: AdminPrincipal,
    page: int = Query(default=1, ge=1),
    limit: int = Query(default=20, ge=1, le=200),
) -> dict[str, Any]:
    """A page of users."""
    reply = await clients.call(
        clients.identity.ListUsers,
        identity_pb2.ListUsersRequest(page=common_pb2.PageRequest(page=page, limit=limit)),
    )
    return {
        "data": [user_dict(u) for u in reply.users],
        "page": page,
        "limit": limit,
        "total": reply.page.total,
        "has_more": reply.page.has_more,
    }


@router.patch("/users/{user_id}", response_model=AdminUserAccess)
async def set_user_access(
    clients: Clients,
    principal: AdminPrincipal,
    body: UserAccessBody,
    user_id: int = Path(ge=1, le=2**31 - 1),
) -> dict[str, Any]:
    """Enable or disable a user, set their password, or end their sessions.

    Disabling, a new password and end_sessions each end every token issued to the user so far, on every
    gateway within seconds; tokens issued afterwards work.
    """
    request = identity_pb2.SetUserAccessRequest(
        user_id=user_id,
        password=body.password or "",
        password_sha256=body.password_sha256 or "",
        end_sessions=body.end_sessions,
    )
    if body.status is not None:
        request.status = 1 if body.status == "active" else 0
    reply = await clients.call(clients.identity.SetUserAccess, request)
    return {
        "user_id": reply.user_id,
        "status": "active" if reply.status == 1 else "disabled",
        "tokens_not_before": reply.tokens_not_before_unix,
    }


@router.post("/api-keys", status_code=201, response_model=AdminApiKey)
async def create_api_key(clients: Clients, principal: AdminPrincipal, body: CreateApiKeyBody) -> dict[str, Any]:
    """Issue a `user-` or `cpn-` key; the key is shown only in this response."""
    reply = await clients.call(
        clients.identity.CreateApiKey, identity_pb2.CreateApiKeyRequest(user_id=body.user_id, kind=body.kind)
    )
    return {
        "key_id": reply.key_id,
        "key": reply.key,
        "kind": reply.kind,
        "user_id": reply.user_id,
        "company_id": reply.company_id,
        "created_at": reply.created_at,
    }


@router.delete("/api-keys/{key_id}", response_model=AdminRevokedKey)
async def revoke_api_key(clients: Clients, principal: AdminPrincipal, key_id: str) -> dict[str, Any]:
    """Revoke a key; every gateway replica forgets it at once through the revocation event."""
    await clients.call(clients.identity.RevokeApiKey, identity_pb2.RevokeApiKeyRequest(key_id=key_id))
    return {"result": "success", "key_id": key_id}


@router.get("/limits", response_model=AdminLimits)
async def limits(clients: Clients, settings: Settings, principal: CurrentPrincipal) -> dict[str, Any]:
    """Upload limits (bytes) and accepted formats, from the files service; any signed-in caller may read them."""
    reply: files_pb2.Limits = await clients.call(clients.files.GetLimits, common_pb2.Empty())
    return {
        "max_file_bytes": reply.max_file_bytes,
        "max_image_bytes": reply.max_image_bytes,
        "max_voice_bytes": reply.max_voice_bytes,
        "max_images_per_message": reply.max_images_per_message,
        "max_files_per_upload": reply.max_files_per_upload,
        "max_presign_seconds": reply.max_presign_seconds,
        "max_body_bytes": settings.gateway_max_body_mb * 1024 * 1024,
        "file_formats": list(reply.file_formats),
        "image_formats": list(reply.image_formats),
        "voice_formats": list(reply.voice_formats),
    }


@probes.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    """The gateway process is up."""
    return {"status": "ok"}


@probes.get("/readyz", include_in_schema=False)
async def readyz(request: Request, settings: Settings) -> Response:
    """200 while this gateway can serve: Redis (rate limits, key cache) answers and NATS is connected.

    A service being down does not make the gateway unready: Kubernetes would take every gateway replica out
    of rotation at once. That service's routes answer 503 instead, and /admin/v1/status says which it is.
    Until the gateway has loaded the revocation list from identity once, it cannot check a token, so it is
    not ready yet; after that, identity going away does not change readiness.
    """
    checks = await _dependencies(request, settings)
    loaded = await request.app.state.authenticator.revocations_loaded()
    checks["revocations"] = "ok" if loaded else "not_loaded"
    ready = all(state == "ok" for state in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/status", response_model=AdminStatus)
async def status(request: Request, clients: Clients, settings: Settings, principal: AdminPrincipal) -> dict[str, Any]:
    """What is degraded, for operators: each service's gRPC health and the gateway's own dependencies.

    Admin only, and it names states, never addresses.
    """
    services, dependencies = await asyncio.gather(_service_health(clients, settings), _dependencies(request, settings))
    healthy = all(s == "SERVING" for s in services.values()) and all(d == "ok" for d in dependencies.values())
    return {"status": "ok" if healthy else "degraded", "services": services, "dependencies": dependencies}


async def _dependencies(request: Request, settings: GatewaySettings) -> dict[str, str]:
    # Redis and NATS are the app's own connections, not service clients: they stay on app.state.
    state = request.app.state
    try:
        async with asyncio.timeout(settings.gateway_readiness_timeout_s):
            await state.redis.ping()
        redis = "ok"
    except (TimeoutError, RedisError, OSError):
        redis = "unreachable"
    nats = getattr(state, "nats", None)
    return {"redis": redis, "nats": "ok" if nats is not None and nats.is_connected else "disconnected"}


async def _service_health(clients: ServiceClients, settings: GatewaySettings) -> dict[str, str]:
    """SERVING, NOT_SERVING (draining or starting) or UNREACHABLE, per service."""
    channels = clients.channels
    timeout_s = settings.gateway_readiness_timeout_s

    async def check(name: str) -> str:
        stub = health_pb2_grpc.HealthStub(channels[name])
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout_s)
        except grpc.aio.AioRpcError:
            return "UNREACHABLE"
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))

    states = await asyncio.gather(*(check(name) for name in SERVICE_NAMES))
    return dict(zip(SERVICE_NAMES, states, strict=True))


@probes.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    """Prometheus text exposition."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
