"""Authentication: JWTs verified locally, API keys resolved through identity behind short caches."""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Annotated

import redis.asyncio as aioredis
import structlog
from fastapi import Depends, Request
from meshconsole.common.v1 import common_pb2
from meshconsole.identity.v1 import identity_pb2

from gateway.clients import ServiceClients
from services.kit.context import Principal, principal_var
from services.kit.errors import MeshError, NotFound, PermissionDenied, Unauthenticated, Unavailable
from services.kit.jwt_tokens import TokenVerifier

log = structlog.get_logger(__name__)
_KEY_PREFIXES = ("user-", "cpn-")
_REFRESH_KEYS_EVERY_S = 30.0


class Authenticator:
    """Turns a bearer token into a Principal with no per-request call to identity for JWTs."""

    def __init__(self, *, clients: ServiceClients, redis: aioredis.Redis, key_cache_s: float) -> None:
        self.clients = clients
        self.redis = redis
        self.key_cache_s = key_cache_s
        self.verifier = TokenVerifier()
        self._local: dict[str, tuple[float, Principal]] = {}
        self._keys_fetched_at = 0.0
        self._keys_lock = asyncio.Lock()

    async def refresh_signing_keys(self) -> None:
        """Fetch identity's public keys (on start, and when a token names an unknown kid)."""
        async with self._keys_lock:
            if time.monotonic() - self._keys_fetched_at < 1.0:
                return
            reply = await self.clients.call(self.clients.identity.GetSigningKeys, common_pb2.Empty())
            for key in reply.keys:
                self.verifier.add_key(key.kid, key.public_key_pem)
            self._keys_fetched_at = time.monotonic()

    async def authenticate(self, token: str) -> Principal:
        """The principal for a login token, custom token, or user-/cpn- API key."""
        if token.startswith(_KEY_PREFIXES):
            return await self._resolve_key(token)
        kid = self.verifier.key_id(token)
        if kid is None:
            raise Unauthenticated("token is invalid", reason="invalid_token")
        if not self.verifier.knows(kid) and time.monotonic() - self._keys_fetched_at > _REFRESH_KEYS_EVERY_S:
            try:
                await self.refresh_signing_keys()
            except MeshError:
                raise Unavailable("identity is unavailable", reason="identity_unavailable") from None
        return self.verifier.verify(token)

    async def _resolve_key(self, key: str) -> Principal:
        digest = hashlib.sha256(key.encode()).hexdigest()
        now = time.monotonic()
        cached = self._local.get(digest)
        if cached and cached[0] > now:
            return cached[1]
        principal = await self._from_redis(digest)
        if principal is None:
            try:
                reply = await self.clients.call(
                    self.clients.identity.ResolveApiKey, identity_pb2.ResolveApiKeyRequest(key=key)
                )
            except NotFound:
                raise Unauthenticated("api key is invalid or revoked", reason="invalid_api_key") from None
            principal = Principal(
                user_id=reply.user_id, company_id=reply.company_id, roles=tuple(reply.roles), kind=reply.kind
            )
            await self.redis.set(
                f"apikey:{digest}",
                f"{principal.user_id}|{principal.company_id}|{','.join(principal.roles)}|{principal.kind}",
                px=int(self.key_cache_s * 1000),
            )
        if len(self._local) > 10_000:
            self._local.clear()
        self._local[digest] = (now + self.key_cache_s, principal)
        return principal

    async def _from_redis(self, digest: str) -> Principal | None:
        raw = await self.redis.get(f"apikey:{digest}")
        if not raw:
            return None
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        user_id, company_id, roles, kind = text.split("|")
        return Principal(
            user_id=int(user_id),
            company_id=int(company_id),
            roles=tuple(r for r in roles.split(",") if r),
            kind=kind,
        )

    async def forget_key(self, key_hash: str) -> None:
        """Drop a revoked key from both caches at once."""
        self._local.pop(key_hash, None)
        await self.redis.delete(f"apikey:{key_hash}")


def bearer_token(request: Request) -> str:
    """The token from `Authorization: Bearer …`; a missing or malformed header is a 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or token in {"None", "null", "undefined"}:
        raise Unauthenticated("missing bearer token", reason="unauthorized")
    return token


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: authenticate and bind the principal for logs and outgoing calls."""
    authenticator: Authenticator = request.app.state.authenticator
    principal = await authenticator.authenticate(bearer_token(request))
    principal_var.set(principal)
    structlog.contextvars.bind_contextvars(user_id=principal.user_id)
    request.state.principal = principal
    return principal


async def admin_principal(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """FastAPI dependency: the caller must hold the admin role."""
    if not principal.is_admin:
        raise PermissionDenied("admin role required", reason="admin_required")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
AdminPrincipal = Annotated[Principal, Depends(admin_principal)]
