"""Identity persistence: every read of a user is scoped to the caller's principal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.identity.models import ApiKey, Company, SigningKey, User
from services.kit.clock import as_utc, utcnow
from services.kit.context import Principal
from services.kit.errors import AlreadyExists, NotFound


class IdentityStore:
    """Users, companies, API keys and signing keys."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def find_user_by_login(self, *, account: str) -> User | None:
        """The user whose account, email or phone is this login name (unscoped: used before auth)."""
        login = account.strip().lower()
        async with self._sessions() as session:
            query = sa.select(User).where(sa.or_(User.account == login, User.email == login, User.phone == login))
            return (await session.execute(query)).scalars().first()

    async def get_user(self, *, principal: Principal, user_id: int) -> User:
        """A user the principal may see: itself, or anyone in its company for company keys and admins."""
        async with self._sessions() as session:
            user = await session.get(User, user_id)
        if user is None:
            raise NotFound("user not found", reason="user_not_found")
        if user.id == principal.user_id:
            return user
        if principal.is_admin:
            return user
        if principal.is_company_wide and user.company_id == principal.company_id:
            return user
        raise NotFound("user not found", reason="user_not_found")

    async def get_user_unscoped(self, *, user_id: int) -> User | None:
        """Internal lookup for admin tooling and key issuance."""
        async with self._sessions() as session:
            return await session.get(User, user_id)

    async def company_name(self, *, company_id: int) -> str:
        async with self._sessions() as session:
            company = await session.get(Company, company_id)
        return company.name if company else ""

    async def ensure_company(self, *, name: str) -> Company:
        """The company with this name, created when new."""
        async with self._sessions() as session, session.begin():
            found = (await session.execute(sa.select(Company).where(Company.name == name))).scalars().first()
            if found:
                return found
            company = Company(name=name, created_at=utcnow())
            session.add(company)
        return company

    async def create_user(
        self, *, company_id: int, account: str, password_hash: str, nick_name: str, roles: list[str]
    ) -> User:
        """Insert a user; the account doubles as email or phone depending on its shape."""
        login = account.strip().lower()
        now = utcnow()
        user = User(
            company_id=company_id,
            account=login,
            email=login if "@" in login else None,
            phone=None if "@" in login else login,
            password_hash=password_hash,
            code=uuid.uuid4().hex,
            nick_name=nick_name,
            name=nick_name,
            roles=roles,
            created_at=now,
            updated_at=now,
        )
        try:
            async with self._sessions() as session, session.begin():
                session.add(user)
        except IntegrityError:
            raise AlreadyExists(
                "an account with this email or phone already exists", reason="account_exists", field="account"
            ) from None
        return user

    async def update_user_fields(self, *, user_id: int, changes: dict[str, Any]) -> User:
        """Apply already-validated column changes and bump updated_at."""
        async with self._sessions() as session, session.begin():
            user = await session.get(User, user_id)
            if user is None:
                raise NotFound("user not found", reason="user_not_found")
            for column, value in changes.items():
                setattr(user, column, value)
            user.updated_at = utcnow()
        return user

    async def list_users(self, *, company_id: int | None, page: int, limit: int) -> tuple[list[User], int]:
        """A page of users, optionally within one company."""
        async with self._sessions() as session:
            query = sa.select(User)
            count = sa.select(sa.func.count()).select_from(User)
            if company_id is not None:
                query = query.where(User.company_id == company_id)
                count = count.where(User.company_id == company_id)
            total = int((await session.execute(count)).scalar_one())
            rows = await session.execute(query.order_by(User.id).offset((page - 1) * limit).limit(limit))
            return list(rows.scalars()), total

    async def add_api_key(self, *, key: ApiKey) -> ApiKey:
        async with self._sessions() as session, session.begin():
            session.add(key)
        return key

    async def find_api_key(self, *, key_hash: str) -> ApiKey | None:
        """An unrevoked key by its hash."""
        async with self._sessions() as session:
            query = sa.select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
            return (await session.execute(query)).scalars().first()

    async def get_api_key(self, *, key_id: str) -> ApiKey | None:
        """A key by its id, revoked or not."""
        async with self._sessions() as session:
            return await session.get(ApiKey, key_id)

    async def revoke_api_key(self, *, key_id: str, company_id: int | None) -> ApiKey:
        """Mark a key revoked; company_id limits which keys a company admin may revoke."""
        async with self._sessions() as session, session.begin():
            key = await session.get(ApiKey, key_id)
            if key is None or (company_id is not None and key.company_id != company_id):
                raise NotFound("api key not found", reason="api_key_not_found")
            if key.revoked_at is None:
                key.revoked_at = utcnow()
        return key

    async def revocations(self, *, since_unix: int) -> tuple[list[tuple[str, int]], list[tuple[int, int]]]:
        """(key id, revoked at) of keys revoked and (user id, cutoff) of cutoffs set at or after since_unix."""
        since = datetime.fromtimestamp(since_unix, tz=UTC)
        async with self._sessions() as session:
            keys = await session.execute(
                sa.select(ApiKey.id, ApiKey.revoked_at).where(
                    ApiKey.revoked_at.is_not(None), ApiKey.revoked_at >= since
                )
            )
            users = await session.execute(
                sa.select(User.id, User.tokens_not_before).where(User.tokens_not_before >= max(since_unix, 1))
            )
            revoked = [(key_id, int(as_utc(at).timestamp())) for key_id, at in keys if at is not None]
            return revoked, [(user_id, int(cutoff)) for user_id, cutoff in users]

    async def signing_keys(self) -> list[SigningKey]:
        async with self._sessions() as session:
            rows = await session.execute(sa.select(SigningKey).order_by(SigningKey.created_at))
            return list(rows.scalars())

    async def add_signing_key(self, *, key: SigningKey) -> None:
        async with self._sessions() as session, session.begin():
            session.add(key)
