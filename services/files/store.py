"""Files persistence: every read and change is scoped to the caller's principal, except the sweeps."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import undefer

from services.files.models import StoredObject
from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.db import read_session
from services.kit.errors import NotFound

PENDING, READY, DELETING = "pending", "ready", "deleting"


@dataclass(frozen=True)
class Ref:
    """An object named by id, or by the object_name shown to Nexent."""

    id: int | None = None
    object_name: str | None = None


def not_found() -> NotFound:
    return NotFound("file not found", reason="file_not_found")


def _owned(principal: Principal) -> sa.ColumnElement[bool]:
    """A company key sees its company's objects; everyone else only their own."""
    same_company = StoredObject.company_id == principal.company_id
    if principal.is_company_wide:
        return same_company
    return sa.and_(same_company, StoredObject.user_id == principal.user_id)


def _matches(ref: Ref) -> sa.ColumnElement[bool]:
    if ref.id is not None:
        return StoredObject.id == ref.id
    if ref.object_name is not None:
        return StoredObject.object_name == ref.object_name
    return sa.false()


class FilesStore:
    """Object metadata rows; only rows in state "ready" are ever handed out for serving."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add(self, *, row: StoredObject) -> StoredObject:
        """Insert a new row (IntegrityError on an id collision, which the caller retries)."""
        async with self._sessions() as session, session.begin():
            session.add(row)
        return row

    async def update(self, *, object_id: int, changes: dict[str, Any]) -> StoredObject:
        """Apply column changes to one row by id (internal: the caller already owns it)."""
        async with self._sessions() as session, session.begin():
            row = await session.get(StoredObject, object_id)
            if row is None:
                raise not_found()
            for column, value in changes.items():
                setattr(row, column, value)
        return row

    async def get(self, *, principal: Principal, ref: Ref) -> StoredObject:
        """A ready object the principal owns; anything else is NOT_FOUND."""
        query = sa.select(StoredObject).where(_matches(ref), _owned(principal), StoredObject.state == READY)
        async with read_session(self._sessions) as session:
            row = (await session.execute(query)).scalars().first()
        if row is None:
            raise not_found()
        return row

    async def change_owned(
        self, *, principal: Principal, ref: Ref, change: Callable[[StoredObject], None]
    ) -> StoredObject:
        """Apply `change` to a ready object the principal owns, locked for the transaction (transcript loaded)."""
        query = (
            sa.select(StoredObject)
            .where(_matches(ref), _owned(principal), StoredObject.state == READY)
            .options(undefer(StoredObject.transcript_text))
            .with_for_update()
        )
        async with self._sessions() as session, session.begin():
            row = (await session.execute(query)).scalars().first()
            if row is None:
                raise not_found()
            change(row)
        return row

    async def transcript_text(self, *, object_id: int) -> str:
        """A voice object's stored transcript (internal: the caller already owns the object)."""
        query = sa.select(StoredObject.transcript_text).where(StoredObject.id == object_id)
        async with read_session(self._sessions) as session:
            return str((await session.execute(query)).scalar_one_or_none() or "")

    async def get_for_grant(self, *, object_id: int) -> StoredObject:
        """A ready object by id, for a signed download token that already proved the grant."""
        async with read_session(self._sessions) as session:
            row = await session.get(StoredObject, object_id)
        if row is None or row.state != READY:
            raise not_found()
        return row

    async def list_ready(
        self,
        *,
        principal: Principal,
        prefix: str,
        kind: int,
        cloud_space_only: bool,
        page: int,
        limit: int,
    ) -> tuple[list[StoredObject], int]:
        """A page of the principal's ready objects, newest first, with the total."""
        where = [_owned(principal), StoredObject.state == READY]
        if prefix:
            where.append(StoredObject.object_name.startswith(prefix, autoescape=True))
        if kind:
            where.append(StoredObject.kind == kind)
        if cloud_space_only:
            where.append(StoredObject.cloud_space.is_(True))
        async with read_session(self._sessions) as session:
            total = int((await session.execute(sa.select(sa.func.count()).where(*where))).scalar_one())
            query = sa.select(StoredObject).where(*where).order_by(StoredObject.id.desc())
            rows = await session.execute(query.offset((page - 1) * limit).limit(limit))
            return list(rows.scalars()), total

    async def tombstone(self, *, principal: Principal, refs: Sequence[Ref]) -> list[StoredObject]:
        """Mark the principal's matching objects deleting (never served again); unknown refs are skipped."""
        if not refs:
            return []
        match = sa.or_(*(_matches(ref) for ref in refs))
        where = [match, _owned(principal), StoredObject.state.in_((READY, PENDING))]
        async with self._sessions() as session, session.begin():
            rows = list((await session.execute(sa.select(StoredObject).where(*where).with_for_update())).scalars())
            now = utcnow()
            for row in rows:
                row.state, row.deleted_at = DELETING, now
        return rows

    async def tombstone_by_id(self, *, object_id: int) -> StoredObject | None:
        """Mark one row deleting by id (internal: a failed upload's own row)."""
        async with self._sessions() as session, session.begin():
            row = await session.get(StoredObject, object_id)
            if row is not None:
                row.state, row.deleted_at = DELETING, utcnow()
        return row

    async def unfinished(self, *, pending_before: datetime, deleting_before: datetime) -> list[StoredObject]:
        """Tombstones, and uploads that stalled: the rows a recovery sweep must finish removing."""
        tombstoned = sa.and_(StoredObject.state == DELETING, StoredObject.deleted_at <= deleting_before)
        stalled = sa.and_(StoredObject.state == PENDING, StoredObject.created_at <= pending_before)
        async with read_session(self._sessions) as session:
            rows = await session.execute(sa.select(StoredObject).where(sa.or_(tombstoned, stalled)))
            return list(rows.scalars())

    async def remove(self, *, object_ids: Sequence[int]) -> None:
        """Delete rows for good (after their bytes are gone)."""
        if not object_ids:
            return
        async with self._sessions() as session, session.begin():
            await session.execute(sa.delete(StoredObject).where(StoredObject.id.in_(list(object_ids))))
