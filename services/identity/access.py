"""Ending access: revoking API keys, disabling users, changing passwords, and the revocations gateways enforce.

A user's cutoff (`tokens_not_before`, unix seconds) refuses every token whose `iat` is earlier; a revoked key
refuses every token that carries its id (`akid`). Both are kept in identity's database and announced on NATS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from services.identity import credentials
from services.identity.config import IdentitySettings
from services.identity.events import IdentityEvents
from services.identity.models import ApiKey, User
from services.identity.store import IdentityStore
from services.kit.context import Principal
from services.kit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied

DAY_S = 86_400


@dataclass(frozen=True)
class Revocations:
    """What ListRevocations answers: (key id, revoked at) and (user id, cutoff) pairs, in unix seconds."""

    keys: list[tuple[str, int]]
    users: list[tuple[int, int]]
    now: int
    horizon: int


def cutoff(user: User) -> int:
    """The user's new cutoff, later than every iat issued so far.

    iat has whole seconds, and a token is issued no earlier than the user's current cutoff (which may be a
    second ahead of the clock), so the latest iat so far is max(now, cutoff).
    """
    return max(int(time.time()), user.tokens_not_before or 0) + 1


class AccessControl:
    """Admin operations that end access, and the list of revocations every gateway loads."""

    def __init__(self, *, settings: IdentitySettings, store: IdentityStore, events: IdentityEvents | None) -> None:
        self.settings = settings
        self.store = store
        self.events = events

    async def revoke_api_key(self, *, principal: Principal, key_id: str) -> ApiKey:
        """Admin: revoke a key and the tokens minted from it; every gateway learns it from the event."""
        _require_admin(principal)
        record = await self.store.revoke_api_key(key_id=key_id, company_id=None)
        if self.events is not None and record.revoked_at is not None:
            revoked_at = int(record.revoked_at.timestamp())
            await self.events.key_revoked(key_id=record.id, key_hash=record.key_hash, revoked_at=revoked_at)
        return record

    async def set_user_access(
        self,
        *,
        principal: Principal,
        user_id: int,
        status: int | None,
        password: str,
        end_sessions: bool,
        password_sha256: str = "",
    ) -> User:
        """Admin: enable or disable a user, set a password, or end sessions; all but enabling end their tokens."""
        _require_admin(principal)
        user = await self.store.get_user_unscoped(user_id=user_id)
        if user is None:
            raise NotFound("user not found", reason="user_not_found", field="user_id")
        changes: dict[str, Any] = {}
        end = end_sessions
        if status is not None:
            if status not in (0, 1):
                raise InvalidArgument("status must be 1 (active) or 0 (disabled)", field="status")
            if status == 0 and user.id == principal.user_id:
                raise FailedPrecondition("an admin cannot disable themselves", reason="cannot_disable_self")
            changes["status"] = status
            end = end or status == 0
        digest = credentials.password_digest(password=password, password_sha256=password_sha256, required=False)
        if digest is not None:
            changes["password_hash"] = credentials.hash_password(digest)
            end = True
        if not changes and not end:
            raise InvalidArgument("nothing to change: send status, password or end_sessions", field="status")
        if end:
            changes["tokens_not_before"] = cutoff(user)
        user = await self.store.update_user_fields(user_id=user.id, changes=changes)
        if end:
            await self.announce_cutoff(user)
        return user

    async def announce_cutoff(self, user: User) -> None:
        """Tell every gateway to refuse the user's tokens issued before their cutoff."""
        if self.events is not None and user.tokens_not_before:
            await self.events.tokens_revoked(user_id=user.id, not_before=user.tokens_not_before)

    async def revocations(self, *, since_unix: int) -> Revocations:
        """Revoked key ids and user cutoffs set at or after since_unix, read at identity's `now`.

        Anything older than the horizon, the longest token lifetime ago, is left out: every token it could
        refuse has expired.
        """
        now = int(time.time())
        longest_days = max(
            self.settings.identity_custom_token_max_days,
            self.settings.identity_token_days_remembered,
            self.settings.identity_token_days,
        )
        horizon = now - (longest_days + 1) * DAY_S
        keys, users = await self.store.revocations(since_unix=max(since_unix, horizon))
        return Revocations(keys=keys, users=users, now=now, horizon=horizon)


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise PermissionDenied("admin role required", reason="admin_required")
