"""Identity domain rules: login, tokens, profile updates, users and API keys."""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass
from typing import Any

import structlog

from services.identity import credentials
from services.identity.access import AccessControl, cutoff
from services.identity.config import IdentitySettings
from services.identity.events import IdentityEvents
from services.identity.models import ApiKey, SigningKey, User
from services.identity.profile import validate_profile_changes
from services.identity.store import IdentityStore
from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.crypto import SecretBox
from services.kit.errors import (
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
)
from services.kit.jwt_tokens import SigningKeyPair, issue_token
from services.kit.redis import RateLimiter

log = structlog.get_logger(__name__)

LOGIN_FAILED_MESSAGE = "账号或者密码错误!"
DAY_S = 86_400
KEY_PRINCIPAL_KINDS = frozenset({"user_key", "company_key"})


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: int
    user: User


class IdentityService:
    """Identity's use cases; the servicer translates proto to these calls and back."""

    def __init__(
        self,
        *,
        settings: IdentitySettings,
        store: IdentityStore,
        limiter: RateLimiter,
        secret_box: SecretBox,
        events: IdentityEvents | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.limiter = limiter
        self.secret_box = secret_box
        self.access = AccessControl(settings=settings, store=store, events=events)
        self._signing_key: SigningKeyPair | None = None

    async def ensure_signing_key(self) -> SigningKeyPair:
        """Load the active signing key, creating one on first start; replicas share it through the DB."""
        if self._signing_key is not None:
            return self._signing_key
        active = [k for k in await self.store.signing_keys() if k.active]
        if not active:
            pair = SigningKeyPair.generate()
            try:
                await self.store.add_signing_key(
                    key=SigningKey(
                        kid=pair.kid,
                        private_key_encrypted=self.secret_box.encrypt(pair.private_pem()),
                        public_key_pem=pair.public_pem(),
                        active=True,
                        created_at=utcnow(),
                    )
                )
            except Exception:
                log.info("signing_key_race")
            active = [k for k in await self.store.signing_keys() if k.active]
        newest = active[-1]
        self._signing_key = SigningKeyPair.from_pem(newest.kid, self.secret_box.decrypt(newest.private_key_encrypted))
        return self._signing_key

    async def public_keys(self) -> list[SigningKey]:
        """Every signing key still valid for verification."""
        return [k for k in await self.store.signing_keys() if k.active]

    async def bootstrap_admin(self) -> str | None:
        """Create or refresh the admin from settings; returns a generated password when one was made."""
        generated: str | None = None
        password = self.settings.admin_password
        password_file = self.settings.data_dir / "admin_password"
        if not password:
            if password_file.exists():
                password = password_file.read_text().strip()
            else:
                password = generated = secrets.token_urlsafe(18)
                self.settings.data_dir.mkdir(parents=True, exist_ok=True)
                password_file.write_text(password + "\n")
                password_file.chmod(0o600)
        digest = credentials.client_password_digest(password)
        existing = await self.store.find_user_by_login(account=self.settings.admin_account)
        if existing is None:
            company = await self.store.ensure_company(name="MeshConsole")
            await self.store.create_user(
                company_id=company.id,
                account=self.settings.admin_account,
                password_hash=credentials.hash_password(digest),
                nick_name="admin",
                roles=["admin"],
            )
            log.info("admin_created", account=self.settings.admin_account)
            return generated
        password_changed = not credentials.verify_password(existing.password_hash, digest)
        if password_changed or "admin" not in existing.roles:
            # The environment is the source of truth for the admin's password.
            roles = sorted({*existing.roles, "admin"})
            changes: dict[str, Any] = {"password_hash": credentials.hash_password(digest), "roles": roles}
            if password_changed:
                # A new password ends the admin's earlier sessions.
                changes["tokens_not_before"] = cutoff(existing)
            user = await self.store.update_user_fields(user_id=existing.id, changes=changes)
            if password_changed:
                await self.access.announce_cutoff(user)
        return generated

    async def login(self, *, account: str, password_digest: str, remember: bool, client_ip: str) -> IssuedToken:
        """Password login; failures are rate-limited per account and per IP and never say which part failed."""
        account_key = f"login-fail:account:{account.strip().lower()}"
        ip_key = f"login-fail:ip:{client_ip or 'unknown'}"
        window = self.settings.identity_login_fail_window_s
        account_limit = self.settings.identity_login_fail_limit_account
        ip_limit = self.settings.identity_login_fail_limit_ip
        checks = (
            await self.limiter.check(account_key, limit=account_limit, window_s=window),
            await self.limiter.check(ip_key, limit=ip_limit, window_s=window),
        )
        refused = [c.retry_after_s for c in checks if not c.allowed]
        if refused:
            # The gateway turns this hint into Retry-After: when the oldest counted failure leaves the window.
            wait_s = max(1, math.ceil(max(refused)))
            raise ResourceExhausted(
                "too many failed logins, try again later",
                reason="login_rate_limited",
                metadata={"retry_after_s": str(wait_s)},
            )
        user = await self.store.find_user_by_login(account=account)
        ok = credentials.verify_password(user.password_hash if user else None, password_digest)
        if user is None or not ok or user.status != 1:
            await self.limiter.hit(account_key, limit=account_limit, window_s=window)
            await self.limiter.hit(ip_key, limit=ip_limit, window_s=window)
            raise Unauthenticated(LOGIN_FAILED_MESSAGE, reason="login_failed")
        await self.limiter.reset(account_key)
        changes: dict[str, Any] = {"last_login_at": utcnow()}
        if credentials.needs_rehash(user.password_hash):
            changes["password_hash"] = credentials.hash_password(password_digest)
        user = await self.store.update_user_fields(user_id=user.id, changes=changes)
        days = self.settings.identity_token_days_remembered if remember else self.settings.identity_token_days
        return await self._issue(user=user, expires_at=int(time.time()) + days * DAY_S, kind="login")

    async def issue_custom_token(
        self, *, principal: Principal, expire_at_unix: int, api_key_id: str = ""
    ) -> IssuedToken:
        """A token for the caller that lasts until the requested time (future, at most a year ahead).

        A caller that is an API key, or holds a token minted from one, names that key: the new token carries
        its id and dies with it.
        """
        now = int(time.time())
        if expire_at_unix <= now:
            raise InvalidArgument("expire_time must be in the future", field="expire_time")
        if expire_at_unix > now + self.settings.identity_custom_token_max_days * DAY_S:
            raise InvalidArgument("expire_time must be at most 1 year ahead", field="expire_time")
        if principal.kind in KEY_PRINCIPAL_KINDS and not api_key_id:
            raise InvalidArgument("an API key caller must name its key", field="api_key_id")
        user = await self.store.get_user(principal=principal, user_id=principal.user_id)
        if user.status != 1:
            raise Unauthenticated("the user is disabled", reason="user_disabled")
        if api_key_id:
            record = await self.store.get_api_key(key_id=api_key_id)
            if record is None or record.revoked_at is not None or record.user_id != user.id:
                raise Unauthenticated("api key is invalid or revoked", reason="invalid_api_key")
        return await self._issue(user=user, expires_at=expire_at_unix, kind="custom", api_key_id=api_key_id)

    async def _issue(self, *, user: User, expires_at: int, kind: str, api_key_id: str = "") -> IssuedToken:
        key = await self.ensure_signing_key()
        principal = Principal(user_id=user.id, company_id=user.company_id, roles=tuple(user.roles))
        # Issued no earlier than the user's cutoff: a token made in the second its cutoff was set stays valid.
        issued_at = max(int(time.time()), user.tokens_not_before)
        token = issue_token(
            key,
            principal=principal,
            expires_at=expires_at,
            token_kind=kind,
            now=issued_at,
            api_key_id=api_key_id or None,
        )
        return IssuedToken(token=token, expires_at=expires_at, user=user)

    async def get_user(self, *, principal: Principal, user_id: int) -> User:
        """The caller, or a user the caller may see."""
        return await self.store.get_user(principal=principal, user_id=user_id or principal.user_id)

    async def update_profile(self, *, principal: Principal, fields: dict[str, Any]) -> User:
        """Apply unlocked field changes to the caller; a locked field changes nothing."""
        changes = validate_profile_changes(fields)
        await self.store.get_user(principal=principal, user_id=principal.user_id)
        return await self.store.update_user_fields(user_id=principal.user_id, changes=changes)

    async def create_user(
        self,
        *,
        principal: Principal,
        account: str,
        password: str,
        company: str,
        nick_name: str,
        roles: list[str],
        password_sha256: str = "",
    ) -> User:
        """Admin: create a user, creating the company when it is new."""
        _require_admin(principal)
        account = account.strip()
        if not account or len(account) > 255:
            raise InvalidArgument("account must be 1-255 characters", field="account")
        if "@" not in account and not account.lstrip("+").isdigit():
            raise InvalidArgument("account must be an email address or a phone number", field="account")
        digest = credentials.password_digest(password=password, password_sha256=password_sha256, required=True)
        if not company.strip() or len(company) > 128:
            raise InvalidArgument("company must be 1-128 characters", field="company")
        if len(nick_name) > 64:
            raise InvalidArgument("nick_name must be at most 64 characters", field="nick_name")
        unknown_roles = sorted(set(roles) - {"admin", "user"})
        if unknown_roles:
            raise InvalidArgument(f"unknown role {unknown_roles[0]}", field="roles")
        found = await self.store.ensure_company(name=company.strip())
        return await self.store.create_user(
            company_id=found.id,
            account=account,
            password_hash=credentials.hash_password(str(digest)),
            nick_name=nick_name.strip() or account.split("@")[0],
            roles=sorted(set(roles) or {"user"}),
        )

    async def list_users(self, *, principal: Principal, page: int, limit: int) -> tuple[list[User], int]:
        """Admin: a page of users."""
        _require_admin(principal)
        return await self.store.list_users(company_id=None, page=max(page, 1), limit=min(max(limit, 1), 200))

    async def create_api_key(self, *, principal: Principal, user_id: int, kind: str) -> tuple[ApiKey, str]:
        """Admin: issue a user- or cpn- key for a user; returns the record and the key shown once."""
        _require_admin(principal)
        user = await self.store.get_user_unscoped(user_id=user_id)
        if user is None:
            raise NotFound("user not found", reason="user_not_found", field="user_id")
        key_id, key, key_hash = credentials.new_api_key(kind)
        record = ApiKey(
            id=key_id,
            key_hash=key_hash,
            prefix=key[:8],
            kind=kind,
            user_id=user.id,
            company_id=user.company_id,
            created_at=utcnow(),
        )
        return await self.store.add_api_key(key=record), key

    async def resolve_api_key(self, *, key: str) -> tuple[Principal, str]:
        """The principal a key acts as; unknown and revoked keys look the same."""
        kind = credentials.api_key_kind(key)
        record = await self.store.find_api_key(key_hash=credentials.hash_api_key(key)) if kind else None
        if record is None:
            raise NotFound("api key not found", reason="invalid_api_key")
        user = await self.store.get_user_unscoped(user_id=record.user_id)
        if user is None or user.status != 1:
            raise NotFound("api key not found", reason="invalid_api_key")
        principal = Principal(
            user_id=user.id,
            company_id=record.company_id,
            roles=tuple(user.roles),
            kind="company_key" if record.kind == "company" else "user_key",
        )
        return principal, record.id


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise PermissionDenied("admin role required", reason="admin_required")
