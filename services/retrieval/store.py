"""Retrieval persistence: indices, documents and tasks; every query names the caller's company."""

from __future__ import annotations

import fnmatch
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.errors import NotFound
from services.retrieval.models import DocumentRow, IndexRow, TaskRow
from services.retrieval.names import RESERVED, index_not_found, scope_user


def new_id() -> str:
    return uuid.uuid4().hex


def task_visible(principal: Principal) -> sa.ColumnElement[bool]:
    """Tasks of the caller's company; those of reserved indices only for their user (or a company key)."""
    same = TaskRow.company_id == principal.company_id
    if principal.is_company_wide:
        return same
    return sa.and_(same, sa.or_(TaskRow.index_name.not_in(RESERVED), TaskRow.user_id == principal.user_id))


class RetrievalStore:
    """Indices, documents and tasks."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    # ---- indices ----
    async def find_index(self, *, principal: Principal, name: str) -> IndexRow | None:
        """The caller's index by name (its company's, or its own reserved one)."""
        query = sa.select(IndexRow).where(
            IndexRow.company_id == principal.company_id,
            IndexRow.scope_user == scope_user(principal, name),
            IndexRow.name == name,
        )
        async with self.sessions() as session:
            return (await session.execute(query)).scalars().first()

    async def get_index(self, *, principal: Principal, name: str) -> IndexRow:
        row = await self.find_index(principal=principal, name=name)
        if row is None:
            raise index_not_found(name)
        return row

    async def add_index(self, *, row: IndexRow) -> tuple[IndexRow, bool]:
        """Insert, or return the row that won a race for the same name (created=False)."""
        try:
            async with self.sessions() as session, session.begin():
                session.add(row)
            return row, True
        except IntegrityError:
            query = sa.select(IndexRow).where(
                IndexRow.company_id == row.company_id, IndexRow.scope_user == row.scope_user, IndexRow.name == row.name
            )
            async with self.sessions() as session:
                found = (await session.execute(query)).scalars().first()
            if found is None:
                raise
            return found, False

    async def remove_index(self, *, index_id: str) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(sa.delete(DocumentRow).where(DocumentRow.index_id == index_id))
            await session.execute(sa.delete(IndexRow).where(IndexRow.id == index_id))

    async def list_indices(self, *, principal: Principal, pattern: str) -> list[IndexRow]:
        """The company's indices whose name matches the glob, by name."""
        query = sa.select(IndexRow).where(IndexRow.company_id == principal.company_id, IndexRow.scope_user == 0)
        async with self.sessions() as session:
            rows = (await session.execute(query.order_by(IndexRow.name))).scalars().all()
        return [r for r in rows if fnmatch.fnmatchcase(r.name, pattern or "*")]

    async def indices_of_app(self, *, company_id: int, app_id: str) -> list[IndexRow]:
        query = sa.select(IndexRow).where(IndexRow.company_id == company_id, IndexRow.app_id == app_id)
        async with self.sessions() as session:
            return list((await session.execute(query)).scalars().all())

    async def count_indices(self) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(sa.select(sa.func.count()).select_from(IndexRow)) or 0)

    async def record_queries(self, *, index_ids: Sequence[str], ms: float) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                sa.update(IndexRow)
                .where(IndexRow.id.in_(list(index_ids)))
                .values(query_count=IndexRow.query_count + 1, query_ms_total=IndexRow.query_ms_total + ms)
            )

    # ---- documents ----
    async def document(self, *, index_id: str, source_id: str) -> DocumentRow | None:
        query = sa.select(DocumentRow).where(DocumentRow.index_id == index_id, DocumentRow.source_id == source_id)
        async with self.sessions() as session:
            return (await session.execute(query)).scalars().first()

    async def save_document(self, *, row: DocumentRow) -> None:
        """Insert or replace the (index, source) row."""
        async with self.sessions() as session, session.begin():
            await session.execute(
                sa.delete(DocumentRow).where(
                    DocumentRow.index_id == row.index_id, DocumentRow.source_id == row.source_id
                )
            )
            session.add(row)

    async def update_document(self, *, doc_id: str, changes: dict[str, Any]) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(sa.update(DocumentRow).where(DocumentRow.id == doc_id).values(**changes))

    async def forget_documents(self, *, index_id: str, source_ids: Sequence[str]) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                sa.delete(DocumentRow).where(DocumentRow.index_id == index_id, DocumentRow.source_id.in_(source_ids))
            )

    async def documents(self, *, index_id: str) -> list[DocumentRow]:
        query = sa.select(DocumentRow).where(DocumentRow.index_id == index_id).order_by(DocumentRow.created_at)
        async with self.sessions() as session:
            return list((await session.execute(query)).scalars().all())

    async def documents_by_source(
        self, *, company_id: int, source_ids: Sequence[str], user_id: int | None = None
    ) -> list[tuple[DocumentRow, IndexRow]]:
        """Documents of these sources (or files objects) in every index of the company (or of one user)."""
        query = (
            sa.select(DocumentRow, IndexRow)
            .join(IndexRow, IndexRow.id == DocumentRow.index_id)
            .where(
                DocumentRow.company_id == company_id,
                sa.or_(DocumentRow.source_id.in_(source_ids), DocumentRow.object_id.in_(source_ids)),
            )
        )
        if user_id is not None:
            query = query.where(DocumentRow.user_id == user_id)
        async with self.sessions() as session:
            return [(d, i) for d, i in (await session.execute(query)).all()]

    # ---- tasks ----
    async def add_task(self, *, row: TaskRow) -> TaskRow:
        """Record a task once; a second sighting of the same id returns the stored row."""
        try:
            async with self.sessions() as session, session.begin():
                session.add(row)
            return row
        except IntegrityError:
            found = await self.task(task_id=row.id)
            if found is None:
                raise
            return found

    async def task(self, *, task_id: str) -> TaskRow | None:
        async with self.sessions() as session:
            return await session.get(TaskRow, task_id)

    async def visible_task(self, *, principal: Principal, task_id: str) -> TaskRow:
        query = sa.select(TaskRow).where(TaskRow.id == task_id, task_visible(principal))
        async with self.sessions() as session:
            row = (await session.execute(query)).scalars().first()
        if row is None:
            raise NotFound("task not found", reason="task_not_found", field="task_id")
        return row

    async def update_task(self, *, task_id: str, changes: dict[str, Any]) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                sa.update(TaskRow).where(TaskRow.id == task_id).values(**changes, updated_at=utcnow())
            )

    async def list_tasks(
        self,
        *,
        principal: Principal,
        index_name: str = "",
        statuses: Sequence[int] = (),
        kind: str = "",
        own_only: bool = False,
        page: int = 1,
        limit: int = 100,
    ) -> tuple[list[TaskRow], int]:
        """A page of visible tasks, newest first, with the total."""
        conditions = [task_visible(principal)]
        if index_name:
            conditions.append(TaskRow.index_name == index_name)
        if statuses:
            conditions.append(TaskRow.status.in_(list(statuses)))
        if kind:
            conditions.append(TaskRow.kind == kind)
        if own_only:
            conditions.append(TaskRow.user_id == principal.user_id)
        query = sa.select(TaskRow).where(*conditions).order_by(TaskRow.created_at.desc(), TaskRow.id)
        async with self.sessions() as session:
            total = int(await session.scalar(sa.select(sa.func.count()).select_from(TaskRow).where(*conditions)) or 0)
            rows = (await session.execute(query.offset((page - 1) * limit).limit(limit))).scalars().all()
        return list(rows), total

    async def forget_tasks(self, *, company_id: int, index_name: str, user_id: int | None = None) -> None:
        condition = [TaskRow.company_id == company_id, TaskRow.index_name == index_name]
        if user_id is not None:
            condition.append(TaskRow.user_id == user_id)
        async with self.sessions() as session, session.begin():
            await session.execute(sa.delete(TaskRow).where(*condition))
