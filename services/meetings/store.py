"""Meetings persistence for callers: create, append chunks, close (by hand or idle), read and list, tenant-scoped.

Every state change is conditional on the state it leaves, inside a transaction that holds the meeting's row lock
(PostgreSQL) or SQLite's write lock, and writes its job and events to the outbox in the same transaction; so a
meeting closes exactly once however many replicas, requests and sweeps race for it.
"""

from __future__ import annotations

import contextlib
import secrets
import time
import uuid
import zlib
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.errors import FailedPrecondition, InvalidArgument, NotFound
from services.meetings.models import Chunk, ChunkStatus, Meeting, OutboxMessage, State

PROCESS_SUBJECT = "mesh.tasks.meetings.process"
EVENT_PREFIX = "mesh.events.meetings."
_ID_EPOCH_MS = 1_704_067_200_000  # 2024-01-01: ids stay below 2**53 (exact in JavaScript) for ~69 years
_SWEEP_LOCK = zlib.crc32(b"meshconsole:meetings:idle-sweep")


def new_meeting_id() -> str:
    """Decimal and time-ordered, like files' ids: milliseconds since 2024 in the high bits, 12 random bits below."""
    return str(((int(time.time() * 1000) - _ID_EPOCH_MS) << 12) | secrets.randbits(12))


def meeting_not_found() -> NotFound:
    return NotFound("meeting not found", reason="meeting_not_found", field="meeting_id")


def owned_by(principal: Principal) -> sa.ColumnElement[bool]:
    """The principal's own meetings; a company key sees every meeting of its company."""
    same_company = Meeting.company_id == principal.company_id
    if principal.is_company_wide:
        return same_company
    return sa.and_(same_company, Meeting.user_id == principal.user_id)


def outbox_event(meeting: Meeting, verb: str, **fields: Any) -> OutboxMessage:
    """mesh.events.meetings.<verb>, naming the meeting and its owner."""
    payload = {"meeting_id": meeting.id, "user_id": meeting.user_id, "company_id": meeting.company_id, **fields}
    return OutboxMessage(id=uuid.uuid4().hex, subject=EVENT_PREFIX + verb, payload=payload, created_at=utcnow())


def outbox_job(meeting: Meeting, step: str) -> OutboxMessage:
    """The processing job; its id makes a re-publish within JetStream's duplicate window a no-op."""
    payload = {"meeting_id": meeting.id}
    return OutboxMessage(
        id=f"meeting.{meeting.id}.{step}", subject=PROCESS_SUBJECT, payload=payload, created_at=utcnow()
    )


def close_in(session: AsyncSession, meeting: Meeting, *, reason: str, now: datetime) -> list[OutboxMessage]:
    """Close an open meeting (the caller holds its lock): organizing, with its job and `closed` event queued."""
    meeting.state = meeting.transcript_state = int(State.ORGANIZING)
    meeting.minutes_state = int(State.ORGANIZING if meeting.auto_organize else State.NONE)
    meeting.closed_at, meeting.close_reason = now, reason
    messages = [
        outbox_job(meeting, "close"),
        outbox_event(meeting, "closed", reason=reason, chunk_count=meeting.chunk_count, closed_at=now.isoformat()),
    ]
    session.add_all(messages)
    return messages


class MeetingStore:
    """Meetings and chunks as their owners see them; the job side lives in services.meetings.progress."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A write transaction holding SQLite's write lock from its first statement."""
        async with self.sessions() as session, session.begin():
            await session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            yield session

    @staticmethod
    async def _locked(session: AsyncSession, *, principal: Principal, meeting_id: str) -> Meeting:
        query = sa.select(Meeting).where(Meeting.id == meeting_id, owned_by(principal)).with_for_update()
        meeting = (await session.execute(query)).scalars().first()
        if meeting is None:
            raise meeting_not_found()
        return meeting

    async def add(self, *, meeting: Meeting) -> Meeting:
        async with self.transaction() as session:
            session.add(meeting)
        return meeting

    async def get(self, *, principal: Principal, meeting_id: str) -> Meeting:
        query = sa.select(Meeting).where(Meeting.id == meeting_id, owned_by(principal))
        async with self.sessions() as session:
            meeting = (await session.execute(query)).scalars().first()
        if meeting is None:
            raise meeting_not_found()
        return meeting

    async def attached(self, *, meeting_id: str) -> set[str]:
        """The file ids a meeting already has (the caller has checked that it owns the meeting)."""
        async with self.sessions() as session:
            rows = await session.execute(sa.select(Chunk.file_id).where(Chunk.meeting_id == meeting_id))
            return set(rows.scalars())

    async def page(self, *, principal: Principal, page: int, limit: int) -> tuple[list[Meeting], int]:
        """A page of the principal's meetings, newest first, with the total."""
        async with self.sessions() as session:
            total = int((await session.execute(sa.select(sa.func.count()).where(owned_by(principal)))).scalar_one())
            query = (
                sa.select(Meeting)
                .where(owned_by(principal))
                .order_by(Meeting.created_at.desc(), Meeting.id.desc())
                .offset((page - 1) * limit)
                .limit(limit)
            )
            return list((await session.execute(query)).scalars()), total

    async def append(
        self,
        *,
        principal: Principal,
        meeting_id: str,
        file_ids: Sequence[str],
        is_end: bool,
        max_chunks: int,
        durations_ms: Mapping[str, int] | None = None,
    ) -> tuple[Meeting, list[OutboxMessage]]:
        """Attach new file ids after the existing chunks, in order; ids already attached are skipped.

        durations_ms (files measured them at upload) give each chunk its length, and the open meeting its sum.

        A closed meeting refuses new audio (meeting_closed); a request that brings nothing new is a no-op, so a
        retried upload answers as the first one did.
        """
        now = utcnow()
        lengths = {file_id: max(0, ms) for file_id, ms in (durations_ms or {}).items()}
        async with self.transaction() as session:
            meeting = await self._locked(session, principal=principal, meeting_id=meeting_id)
            existing = set(
                (await session.execute(sa.select(Chunk.file_id).where(Chunk.meeting_id == meeting.id))).scalars()
            )
            new = [file_id for file_id in dict.fromkeys(file_ids) if file_id not in existing]
            if meeting.state != State.IN_PROGRESS:
                if new:
                    raise FailedPrecondition(
                        f"meeting {meeting.id} is closed and accepts no more audio", reason="meeting_closed"
                    )
                return meeting, []
            if meeting.chunk_count + len(new) > max_chunks:
                raise InvalidArgument(
                    f"a meeting may have at most {max_chunks} voice chunks; it has {meeting.chunk_count} "
                    f"and this upload adds {len(new)}",
                    reason="too_many_chunks",
                    field="voice_file_ids",
                )
            session.add_all(
                Chunk(
                    meeting_id=meeting.id,
                    position=meeting.chunk_count + offset,
                    file_id=file_id,
                    status=ChunkStatus.PENDING.value,
                    text="",
                    segments=[],
                    language="",
                    duration_ms=lengths.get(file_id, 0),
                    error="",
                    created_at=now,
                )
                for offset, file_id in enumerate(new)
            )
            meeting.chunk_count += len(new)
            meeting.duration_ms += sum(lengths.get(file_id, 0) for file_id in new)
            meeting.last_activity_at = now
            messages = close_in(session, meeting, reason="is_end", now=now) if is_end else []
        return meeting, messages

    async def close(
        self, *, principal: Principal, meeting_id: str, reason: str, organize: bool = False
    ) -> tuple[Meeting, list[OutboxMessage]]:
        """Close an open meeting; a closed one is returned unchanged, except that `organize` asks for its minutes."""
        async with self.transaction() as session:
            meeting = await self._locked(session, principal=principal, meeting_id=meeting_id)
            if organize and not meeting.auto_organize:
                meeting.auto_organize = True
                if meeting.state != State.IN_PROGRESS:
                    return meeting, self._organize_later(session, meeting)
            if meeting.state != State.IN_PROGRESS:
                return meeting, []
            return meeting, close_in(session, meeting, reason=reason, now=utcnow())

    @staticmethod
    def _organize_later(session: AsyncSession, meeting: Meeting) -> list[OutboxMessage]:
        """Minutes for a closed meeting that had none: organizing again, one more job."""
        meeting.minutes_state = meeting.state = int(State.ORGANIZING)
        job = outbox_job(meeting, "organize")
        session.add(job)
        return [job]

    async def close_idle(self, *, idle_before: datetime, limit: int = 100) -> list[OutboxMessage]:
        """Close open meetings whose last upload is older than idle_before; returns what to publish.

        On PostgreSQL one replica sweeps at a time (a transaction-scoped advisory lock; the others skip this round);
        on SQLite the write lock serialises sweeps. Either way each close is a conditional update that only an
        open, still idle meeting passes, so an upload that got in first keeps its meeting open.
        """
        messages: list[OutboxMessage] = []
        async with self.transaction() as session:
            if (await session.connection()).dialect.name == "postgresql":
                locked = await session.execute(sa.select(sa.func.pg_try_advisory_xact_lock(_SWEEP_LOCK)))
                if not locked.scalar_one():
                    return []
            idle = sa.and_(Meeting.state == int(State.IN_PROGRESS), Meeting.last_activity_at <= idle_before)
            query = sa.select(Meeting).where(idle).order_by(Meeting.last_activity_at).limit(limit).with_for_update()
            now = utcnow()
            for meeting in (await session.execute(query)).scalars():
                messages.extend(close_in(session, meeting, reason="idle", now=now))
        return messages
