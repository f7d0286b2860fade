"""gRPC servicer for identity: translates proto messages to domain calls and back, nothing more."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from google.protobuf import json_format
from meshconsole.common.v1 import common_pb2
from meshconsole.identity.v1 import identity_pb2, identity_pb2_grpc

from services.identity.models import User
from services.identity.service import IdentityService, IssuedToken
from services.kit.clock import as_utc
from services.kit.context import require_principal

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


_caller = require_principal


class IdentityServicer(identity_pb2_grpc.IdentityServiceServicer):
    """Thin adapter over IdentityService."""

    def __init__(self, service: IdentityService, *, timezone: str) -> None:
        self.service = service
        self.tz = ZoneInfo(timezone)

    def _fmt(self, value: datetime | None) -> str:
        moment = as_utc(value)
        return moment.astimezone(self.tz).strftime(TIME_FORMAT) if moment else ""

    async def _user_message(self, user: User) -> identity_pb2.User:
        company = await self.service.store.company_name(company_id=user.company_id)
        created = self._fmt(user.created_at)
        return identity_pb2.User(
            user_id=user.id,
            user_account=user.account,
            user_code=user.code,
            user_name=user.name,
            user_nick_name=user.nick_name,
            user_nick_name_py=user.nick_name.lower() if user.nick_name.isascii() else "",
            user_email=user.email or "",
            user_phone=user.phone or "",
            user_avatar=user.avatar,
            user_gender=user.gender,
            user_age=user.age,
            user_area=user.area,
            user_position=user.position,
            user_account_type=user.account_type or ("email" if user.email else "phone"),
            user_company=company,
            user_company_id=user.company_id,
            user_department=user.department,
            user_department_id=user.department_id,
            user_expire_time=self._fmt(user.expire_at),
            user_invite_code=user.invite_code,
            user_role=list(user.roles),
            user_source=user.source,
            user_status=user.status,
            user_resource_limit=user.resource_limit,
            user_wx_avatar=user.wx_avatar,
            user_wx_nickname=user.wx_nickname,
            user_point_account=identity_pb2.PointAccount(
                account_id=f"pa-{user.code[:12]}",
                account_status="正常",
                account_type="point",
                balance=user.point_balance,
                create_time=created,
                frozen_balance=0.0,
                id=user.id,
                update_time=self._fmt(user.updated_at),
                user_id=user.id,
            ),
            create_time=created,
            update_time=self._fmt(user.updated_at),
            last_login_time=self._fmt(user.last_login_at),
        )

    async def _token_response(self, issued: IssuedToken) -> identity_pb2.TokenResponse:
        expire = datetime.fromtimestamp(issued.expires_at, tz=self.tz)
        return identity_pb2.TokenResponse(
            token=issued.token,
            token_type="Bearer",
            expire_time=expire.strftime(TIME_FORMAT),
            expire_at_unix=issued.expires_at,
            user=await self._user_message(issued.user),
        )

    async def Login(self, request: identity_pb2.LoginRequest, context: Any) -> identity_pb2.TokenResponse:
        issued = await self.service.login(
            account=request.account,
            password_digest=request.password_sha256,
            remember=request.session_30,
            client_ip=request.client_ip,
        )
        return await self._token_response(issued)

    async def IssueToken(self, request: identity_pb2.IssueTokenRequest, context: Any) -> identity_pb2.TokenResponse:
        issued = await self.service.issue_custom_token(
            principal=_caller(), expire_at_unix=request.expire_at_unix, api_key_id=request.api_key_id
        )
        return await self._token_response(issued)

    async def GetSigningKeys(self, request: common_pb2.Empty, context: Any) -> identity_pb2.SigningKeys:
        await self.service.ensure_signing_key()
        keys = [
            identity_pb2.SigningKey(kid=k.kid, algorithm="EdDSA", public_key_pem=k.public_key_pem)
            for k in await self.service.public_keys()
        ]
        return identity_pb2.SigningKeys(keys=keys, issuer="meshconsole")

    async def ResolveApiKey(self, request: identity_pb2.ResolveApiKeyRequest, context: Any) -> common_pb2.Principal:
        principal, key_id = await self.service.resolve_api_key(key=request.key)
        return common_pb2.Principal(
            user_id=principal.user_id,
            company_id=principal.company_id,
            roles=list(principal.roles),
            kind=principal.kind,
            key_id=key_id,
        )

    async def GetUser(self, request: identity_pb2.GetUserRequest, context: Any) -> identity_pb2.User:
        user = await self.service.get_user(principal=_caller(), user_id=request.user_id)
        return await self._user_message(user)

    async def UpdateUser(self, request: identity_pb2.UpdateUserRequest, context: Any) -> identity_pb2.User:
        fields = json_format.MessageToDict(request.fields)
        user = await self.service.update_profile(principal=_caller(), fields=fields)
        return await self._user_message(user)

    async def CreateUser(self, request: identity_pb2.CreateUserRequest, context: Any) -> identity_pb2.User:
        user = await self.service.create_user(
            principal=_caller(),
            account=request.account,
            password=request.password,
            password_sha256=request.password_sha256,
            company=request.company,
            nick_name=request.nick_name,
            roles=list(request.roles),
        )
        return await self._user_message(user)

    async def ListUsers(self, request: identity_pb2.ListUsersRequest, context: Any) -> identity_pb2.ListUsersResponse:
        page, limit = request.page.page or 1, request.page.limit or 20
        users, total = await self.service.list_users(principal=_caller(), page=page, limit=limit)
        return identity_pb2.ListUsersResponse(
            users=[await self._user_message(u) for u in users],
            page=common_pb2.PageInfo(page=page, limit=limit, total=total, has_more=page * limit < total),
        )

    async def CreateApiKey(self, request: identity_pb2.CreateApiKeyRequest, context: Any) -> identity_pb2.ApiKey:
        record, key = await self.service.create_api_key(principal=_caller(), user_id=request.user_id, kind=request.kind)
        return identity_pb2.ApiKey(
            key_id=record.id,
            key=key,
            kind=record.kind,
            user_id=record.user_id,
            company_id=record.company_id,
            created_at=self._fmt(record.created_at),
        )

    async def RevokeApiKey(self, request: identity_pb2.RevokeApiKeyRequest, context: Any) -> common_pb2.Empty:
        await self.service.access.revoke_api_key(principal=_caller(), key_id=request.key_id)
        return common_pb2.Empty()

    async def SetUserAccess(self, request: identity_pb2.SetUserAccessRequest, context: Any) -> identity_pb2.UserAccess:
        user = await self.service.access.set_user_access(
            principal=_caller(),
            user_id=request.user_id,
            status=request.status if request.HasField("status") else None,
            password=request.password,
            password_sha256=request.password_sha256,
            end_sessions=request.end_sessions,
        )
        return identity_pb2.UserAccess(
            user_id=user.id, status=user.status, tokens_not_before_unix=user.tokens_not_before
        )

    async def ListRevocations(
        self, request: identity_pb2.ListRevocationsRequest, context: Any
    ) -> identity_pb2.Revocations:
        # No principal: gateways load this at start, before anyone signs in (like GetSigningKeys).
        found = await self.service.access.revocations(since_unix=request.since_unix)
        return identity_pb2.Revocations(
            keys=[identity_pb2.RevokedApiKey(key_id=k, revoked_at_unix=at) for k, at in found.keys],
            users=[identity_pb2.TokenCutoff(user_id=u, not_before_unix=nb) for u, nb in found.users],
            server_time_unix=found.now,
            horizon_unix=found.horizon,
        )
