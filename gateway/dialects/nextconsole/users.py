"""NextConsole identity routes: login, user info, profile update and custom-expiry tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Request
from google.protobuf import json_format, struct_pb2
from meshconsole.identity.v1 import identity_pb2
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from gateway.auth import CurrentCredential, CurrentPrincipal
from gateway.deps import Clients, Settings
from gateway.dialects.nextconsole.envelope import ok
from gateway.dialects.nextconsole.schemas import NextConsoleEnvelope, TokenResult, UserInfo
from services.kit.errors import InvalidArgument

router = APIRouter(prefix="/next_console")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    user_account: StrictStr = Field(min_length=1, max_length=255)
    user_password: StrictStr = Field(min_length=1, max_length=128)
    session_30_flag: StrictBool = False


class UserGetBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    user_id: StrictInt | None = Field(default=None, ge=1)


class UpdateUserBody(BaseModel):
    """The profile fields a user may change; any other field goes on to identity, which refuses it by name."""

    model_config = ConfigDict(extra="allow")

    user_nick_name: StrictStr | None = None
    user_name: StrictStr | None = None
    user_avatar: StrictStr | None = None
    user_gender: StrictStr | None = None
    user_age: StrictInt | None = None
    user_area: StrictStr | None = None
    user_position: StrictStr | None = None
    user_wx_avatar: StrictStr | None = None
    user_wx_nickname: StrictStr | None = None


class RefreshTokenBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    expire_time: StrictStr = Field(min_length=1, max_length=32)


def user_dict(user: identity_pb2.User) -> dict[str, Any]:
    """The seed's user object, every field present (proto3 defaults included)."""
    data = json_format.MessageToDict(user, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
    for int_field in ("user_id", "user_company_id", "user_department_id", "user_resource_limit"):
        data[int_field] = int(data.get(int_field, 0))
    data["user_point_account"]["id"] = int(data["user_point_account"].get("id", 0))
    data["user_point_account"]["user_id"] = int(data["user_point_account"].get("user_id", 0))
    data["user_area"] = data.get("user_area") or None
    return data


def token_result(reply: identity_pb2.TokenResponse) -> dict[str, Any]:
    return {
        "token": reply.token,
        "token_type": reply.token_type,
        "expire_time": reply.expire_time,
        "user_info": user_dict(reply.user),
    }


@router.post("/login_by_password", response_model=NextConsoleEnvelope[TokenResult])
async def login_by_password(request: Request, clients: Clients, body: LoginBody) -> dict[str, Any]:
    """Password login; the password arrives as sha256(raw.strip()) hex."""
    digest = body.user_password.strip()
    if len(digest) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digest):
        raise InvalidArgument("user_password must be the sha256 hex digest of the password", field="user_password")
    reply = await clients.call(
        clients.identity.Login,
        identity_pb2.LoginRequest(
            account=body.user_account,
            password_sha256=digest,
            session_30=body.session_30_flag,
            client_ip=request.client.host if request.client else "",
        ),
    )
    return ok(token_result(reply))


@router.post("/user_center/users/get", response_model=NextConsoleEnvelope[UserInfo])
async def get_user(
    principal: CurrentPrincipal, clients: Clients, body: Annotated[UserGetBody | None, Body()] = None
) -> dict[str, Any]:
    """The caller's full user object (or, for company keys, a user of the same company)."""
    user_id = body.user_id if body and body.user_id else 0
    reply = await clients.call(clients.identity.GetUser, identity_pb2.GetUserRequest(user_id=user_id))
    return ok(user_dict(reply))


@router.post("/user_center/users/update", response_model=NextConsoleEnvelope[UserInfo])
async def update_user(principal: CurrentPrincipal, clients: Clients, body: UpdateUserBody) -> dict[str, Any]:
    """Change unlocked profile fields; identity refuses locked ones."""
    sent = body.model_dump(exclude_unset=True)
    if not sent:
        accepted = list(UpdateUserBody.model_fields)
        raise InvalidArgument(
            f"nothing to update: send at least one of {', '.join(accepted)}", field=",".join(accepted)
        )
    fields = struct_pb2.Struct()
    fields.update(sent)
    reply = await clients.call(clients.identity.UpdateUser, identity_pb2.UpdateUserRequest(fields=fields))
    return ok(user_dict(reply))


@router.post("/user_center/refresh_token", response_model=NextConsoleEnvelope[TokenResult])
async def refresh_token(
    credential: CurrentCredential, clients: Clients, settings: Settings, body: RefreshTokenBody
) -> dict[str, Any]:
    """A token valid until expire_time (%Y-%m-%d %H:%M:%S, server timezone).

    Minted from an API key (or from a token minted from one), the token carries that key's id and dies with it.
    """
    try:
        naive = datetime.strptime(body.expire_time.strip(), TIME_FORMAT)
    except ValueError:
        raise InvalidArgument("expire_time must look like 2025-01-31 23:59:59", field="expire_time") from None
    expire_at = naive.replace(tzinfo=ZoneInfo(settings.timezone))
    reply = await clients.call(
        clients.identity.IssueToken,
        identity_pb2.IssueTokenRequest(expire_at_unix=int(expire_at.timestamp()), api_key_id=credential.api_key_id),
    )
    return ok(token_result(reply))
