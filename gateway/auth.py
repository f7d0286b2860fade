"""Authentication: JWTs verified locally against identity's keys and revocation list; API keys resolved through
identity behind short caches (in-process, then Redis, which may be down)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import orjson
import redis.asyncio as aioredis
import structlog
from fastapi import Depends, Request
from meshconsole.common.v1 import common_pb2
from meshconsole.identity.v1 import identity_pb2
from nats.aio.client import Client
from nats.aio.subscription import Subscription
from redis.exceptions import RedisError

from gateway.clients import ServiceClients
from gateway.revocation import RevocationList
from services.kit import nats as mesh_nats
from services.kit.context import Principal, principal_var
from services.kit.errors import (
    DeadlineExceeded,
    MeshError,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from services.kit.jwt_tokens import TokenVerifier

log = structlog.get_logger(__name__)
T = TypeVar("T")
_KEY_PREFIXES = ("user-", "cpn-")
_REFRESH_KEYS_EVERY_S = 30.0
# Recent revocations are re-read this often, for a replica that missed an event (NATS down or reconnecting).
SYNC_REVOCATIONS_EVERY_S = 10.0
# The key cache is an optimisation: after a Redis failure it is skipped for a while, and calls to it are short.
_REDIS_PAUSE_S = 5.0
_REDIS_TIMEOUT_S = 1.0
RETRY_AFTER_S = "5"
KEY_REVOKED_SUBJECT = "mesh.events.apikeys.revoked"
TOKENS_REVOKED_SUBJECT = "mesh.events.users.tokens_revoked"


@dataclass(frozen=True, slots=True)
class Credential:
    """An authenticated caller, and the API key behind the credential (the key itself, or the one a JWT was
    minted from), which a token minted from this credential must carry."""

    principal: Principal
    api_key_id: str = ""


@dataclass(frozen=True, slots=True)
class _CachedKey:
    credential: Credential
    resolved_at: float  # wall clock, compared with the user's token cutoff


class Authenticator:
    """Turns a bearer token into a Credential with no per-request network call for JWTs."""

    def __init__(self, *, clients: ServiceClients, redis: aioredis.Redis, key_cache_s: float) -> None:
        self.clients = clients
        self.redis = redis
        self.key_cache_s = key_cache_s
        self.verifier = TokenVerifier()
        self.revocations = RevocationList()
        self._local: dict[str, tuple[float, _CachedKey]] = {}
        self._keys_fetched_at = 0.0
        self._keys_lock = asyncio.Lock()
        self._sync_lock = asyncio.Lock()
        self._sync_tried_at = 0.0
        self._redis_paused_until = 0.0
        self._subscriptions: list[Subscription] = []
        self._sync_task: asyncio.Task[None] | None = None

    async def start(self, nc: Client) -> None:
        """Follow revocation events, load the revocation list, and re-read it every few seconds."""
        # Subscribe first, so nothing revoked between the load and the subscription is missed.
        self._subscriptions = [
            await mesh_nats.subscribe_traced(
                nc, KEY_REVOKED_SUBJECT, self._on_key_revoked, consumer="gateway-revocation"
            ),
            await mesh_nats.subscribe_traced(
                nc, TOKENS_REVOKED_SUBJECT, self._on_tokens_revoked, consumer="gateway-revocation"
            ),
        ]
        try:
            await self.sync_revocations()
        except MeshError:
            log.warning("revocations_unavailable_at_start")
        self._sync_task = asyncio.create_task(self._keep_synced(), name="revocation-sync")

    async def stop(self) -> None:
        if self._sync_task is not None:
            self._sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sync_task

    async def refresh_signing_keys(self) -> None:
        """Fetch identity's public keys (on start, and when a token names an unknown kid)."""
        async with self._keys_lock:
            if time.monotonic() - self._keys_fetched_at < 1.0:
                return
            reply = await self.clients.call(self.clients.identity.GetSigningKeys, common_pb2.Empty())
            for key in reply.keys:
                self.verifier.add_key(key.kid, key.public_key_pem)
            self._keys_fetched_at = time.monotonic()

    async def sync_revocations(self) -> None:
        """Merge the revocations identity recorded since the last read (all of them on the first)."""
        async with self._sync_lock:
            self._sync_tried_at = time.monotonic()
            request = identity_pb2.ListRevocationsRequest(since_unix=self.revocations.since())
            self.revocations.apply(await self.clients.call(self.clients.identity.ListRevocations, request))

    async def _keep_synced(self) -> None:
        while True:
            await asyncio.sleep(SYNC_REVOCATIONS_EVERY_S)
            try:
                await self.sync_revocations()
            except MeshError as error:
                log.warning("revocation_sync_failed", reason=error.reason)

    async def revocations_loaded(self) -> bool:
        """Whether the revocation list was loaded once (trying again at most once a second until it is)."""
        if not self.revocations.loaded and time.monotonic() - self._sync_tried_at > 1.0:
            with contextlib.suppress(MeshError):
                await self.sync_revocations()
        return self.revocations.loaded

    async def _require_revocations(self) -> None:
        # Fail closed: until the list was loaded once, a token cannot be checked against it.
        if not await self.revocations_loaded():
            raise Unavailable(
                "sign-in cannot be checked right now, retry later",
                reason="auth_unavailable",
                metadata={"retry_after_s": RETRY_AFTER_S},
            )

    async def authenticate(self, token: str) -> Principal:
        """The principal for a login token, custom token, or user-/cpn- API key."""
        return (await self.credential(token)).principal

    async def credential(self, token: str) -> Credential:
        """The credential for a login token, custom token, or user-/cpn- API key; revoked ones are refused."""
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
        verified = self.verifier.verify_token(token)
        await self._require_revocations()
        principal = verified.principal
        if self.revocations.refuses(
            user_id=principal.user_id, issued_at=verified.issued_at, api_key_id=verified.api_key_id
        ):
            raise Unauthenticated("token has been revoked", reason="token_revoked")
        return Credential(principal=principal, api_key_id=verified.api_key_id)

    def _fresh(self, entry: _CachedKey) -> bool:
        """A cached resolution is stale once its key was revoked or its user's tokens were ended after it."""
        user_id = entry.credential.principal.user_id
        return not self.revocations.refuses(
            user_id=user_id, issued_at=entry.resolved_at, api_key_id=entry.credential.api_key_id
        )

    async def _resolve_key(self, key: str) -> Credential:
        digest = hashlib.sha256(key.encode()).hexdigest()
        now = time.monotonic()
        cached = self._local.get(digest)
        if cached and cached[0] > now and self._fresh(cached[1]):
            return cached[1].credential
        entry = await self._from_redis(digest)
        if entry is None or not self._fresh(entry):
            entry = await self._from_identity(key)
            await self._to_redis(digest, entry)
        if len(self._local) > 10_000:
            self._local.clear()
        self._local[digest] = (now + self.key_cache_s, entry)
        return entry.credential

    async def _from_identity(self, key: str) -> _CachedKey:
        resolved_at = time.time()
        try:
            reply = await self.clients.call(
                self.clients.identity.ResolveApiKey, identity_pb2.ResolveApiKeyRequest(key=key)
            )
        except NotFound:
            raise Unauthenticated("api key is invalid or revoked", reason="invalid_api_key") from None
        except (Unavailable, DeadlineExceeded):
            # Fail closed: a key that no cache holds and identity cannot check is refused for now.
            raise Unavailable(
                "the API key cannot be verified right now, retry later",
                reason="auth_unavailable",
                metadata={"retry_after_s": RETRY_AFTER_S},
            ) from None
        principal = Principal(
            user_id=reply.user_id, company_id=reply.company_id, roles=tuple(reply.roles), kind=reply.kind
        )
        return _CachedKey(Credential(principal=principal, api_key_id=reply.key_id), resolved_at)

    async def _redis_call(self, call: Awaitable[T]) -> T | None:
        """The call's result, or None when Redis is paused or fails (which pauses it)."""
        if time.monotonic() < self._redis_paused_until:
            if asyncio.iscoroutine(call):
                call.close()
            return None
        try:
            async with asyncio.timeout(_REDIS_TIMEOUT_S):
                return await call
        except (RedisError, OSError, TimeoutError) as error:
            self._redis_paused_until = time.monotonic() + _REDIS_PAUSE_S
            log.warning("api_key_cache_unreachable", error=str(error) or type(error).__name__)
            return None

    async def _from_redis(self, digest: str) -> _CachedKey | None:
        raw = await self._redis_call(self.redis.get(f"apikey:{digest}"))
        if not raw:
            return None
        try:
            data = orjson.loads(raw)
            principal = Principal(
                user_id=int(data["user_id"]),
                company_id=int(data["company_id"]),
                roles=tuple(str(r) for r in data["roles"]),
                kind=str(data["kind"]),
            )
            return _CachedKey(Credential(principal, str(data["key_id"])), float(data["resolved_at"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None

    async def _to_redis(self, digest: str, entry: _CachedKey) -> None:
        principal = entry.credential.principal
        value = {
            "user_id": principal.user_id,
            "company_id": principal.company_id,
            "roles": list(principal.roles),
            "kind": principal.kind,
            "key_id": entry.credential.api_key_id,
            "resolved_at": entry.resolved_at,
        }
        await self._redis_call(self.redis.set(f"apikey:{digest}", orjson.dumps(value), px=int(self.key_cache_s * 1000)))

    async def forget_key(self, key_hash: str) -> None:
        """Drop a revoked key from both caches at once."""
        self._local.pop(key_hash, None)
        await self._redis_call(self.redis.delete(f"apikey:{key_hash}"))

    async def _on_key_revoked(self, msg: Any) -> None:
        try:
            payload = orjson.loads(msg.data)
            key_id = str(payload.get("key_id") or "")
            if key_id:
                self.revocations.revoke_key(key_id, int(payload.get("revoked_at") or time.time()))
            await self.forget_key(str(payload["key_hash"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("bad_revocation_event", subject=KEY_REVOKED_SUBJECT)

    async def _on_tokens_revoked(self, msg: Any) -> None:
        try:
            payload = orjson.loads(msg.data)
            self.revocations.cut_user(int(payload["user_id"]), int(payload["not_before"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("bad_revocation_event", subject=TOKENS_REVOKED_SUBJECT)


def bearer_token(request: Request) -> str:
    """The token from `Authorization: Bearer …`; a missing or malformed header is a 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or token in {"None", "null", "undefined"}:
        raise Unauthenticated("missing bearer token", reason="unauthorized")
    return token


async def current_credential(request: Request) -> Credential:
    """FastAPI dependency: authenticate and bind the principal for logs and outgoing calls."""
    authenticator: Authenticator = request.app.state.authenticator
    credential = await authenticator.credential(bearer_token(request))
    principal = credential.principal
    principal_var.set(principal)
    structlog.contextvars.bind_contextvars(user_id=principal.user_id)
    request.state.principal = principal
    request.state.credential = credential
    return credential


async def current_principal(credential: Annotated[Credential, Depends(current_credential)]) -> Principal:
    """FastAPI dependency: the authenticated caller."""
    return credential.principal


async def admin_principal(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """FastAPI dependency: the caller must hold the admin role."""
    if not principal.is_admin:
        raise PermissionDenied("admin role required", reason="admin_required")
    return principal


CurrentCredential = Annotated[Credential, Depends(current_credential)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
AdminPrincipal = Annotated[Principal, Depends(admin_principal)]
