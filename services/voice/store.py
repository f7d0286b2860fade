"""Voice persistence: every lookup is scoped to a principal, except the job worker's by-id reads of its own tasks."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.errors import NotFound
from services.voice.engines.base import Segment, SttResult
from services.voice.models import PENDING, TranscribeTaskRow, TranscriptRow, TtsJobRow


def job_not_found() -> NotFound:
    return NotFound("TTS job not found", reason="tts_job_not_found", field="job_id")


class VoiceStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    # ---- transcripts ----
    async def transcript(self, *, principal: Principal, object_id: str, language: str) -> SttResult | None:
        async with self._sessions() as session:
            row = await session.get(TranscriptRow, (object_id, language))
        if row is None or row.company_id != principal.company_id:
            return None
        segments = [Segment(str(t), int(s), int(e)) for t, s, e in orjson.loads(row.segments)]
        return SttResult(row.text, row.language, row.duration_ms, segments)

    async def save_transcript(
        self, *, principal: Principal, object_id: str, language: str, engine: str, result: SttResult
    ) -> None:
        row = TranscriptRow(
            object_id=object_id,
            requested_language=language,
            company_id=principal.company_id,
            user_id=principal.user_id,
            engine=engine,
            text=result.text,
            language=result.language,
            duration_ms=result.duration_ms,
            segments=orjson.dumps([[s.text, s.start_ms, s.end_ms] for s in result.segments]).decode(),
            created_at=utcnow(),
        )
        try:
            async with self._sessions() as session, session.begin():
                await session.merge(row)
        except IntegrityError:
            pass  # another request cached the same transcript meanwhile

    # ---- TTS jobs ----
    async def get_or_create_job(
        self, *, principal: Principal, key: str, fields: dict[str, Any]
    ) -> tuple[TtsJobRow, bool]:
        """The caller's job for this request key, or a new PENDING one; (row, created)."""
        query = sa.select(TtsJobRow).where(
            TtsJobRow.company_id == principal.company_id,
            TtsJobRow.user_id == principal.user_id,
            TtsJobRow.request_key == key,
        )
        async with self._sessions() as session:
            found = (await session.execute(query)).scalars().first()
        if found is not None:
            return found, False
        now = utcnow()
        row = TtsJobRow(
            id=uuid.uuid4().hex,
            company_id=principal.company_id,
            user_id=principal.user_id,
            request_key=key,
            status=PENDING,
            object_id="",
            duration_ms=0,
            error="",
            attempts=0,
            created_at=now,
            updated_at=now,
            **fields,
        )
        try:
            async with self._sessions() as session, session.begin():
                session.add(row)
        except IntegrityError:  # the same request raced us
            async with self._sessions() as session:
                return (await session.execute(query)).scalars().one(), False
        return row, True

    async def job(self, *, principal: Principal, job_id: str) -> TtsJobRow:
        async with self._sessions() as session:
            row = await session.get(TtsJobRow, job_id[:32])
        if row is None or row.company_id != principal.company_id or row.user_id != principal.user_id:
            raise job_not_found()
        return row

    async def job_by_id(self, *, job_id: str) -> TtsJobRow | None:
        """The worker's read: a job id from its own queue."""
        async with self._sessions() as session:
            return await session.get(TtsJobRow, job_id[:32])

    async def update_job(self, *, job_id: str, changes: dict[str, Any]) -> TtsJobRow:
        async with self._sessions() as session, session.begin():
            row = await session.get(TtsJobRow, job_id)
            if row is None:
                raise job_not_found()
            for column, value in {**changes, "updated_at": utcnow()}.items():
                setattr(row, column, value)
        return row

    # ---- transcription tasks ----
    async def task(self, *, task_id: str) -> TranscribeTaskRow | None:
        async with self._sessions() as session:
            return await session.get(TranscribeTaskRow, task_id[:32])

    async def record_task(self, *, task_id: str, object_id: str, principal: Principal) -> TranscribeTaskRow:
        """The task's row, created PENDING on its first delivery."""
        now = utcnow()
        row = TranscribeTaskRow(
            id=task_id[:32],
            object_id=object_id,
            company_id=principal.company_id,
            user_id=principal.user_id,
            status=PENDING,
            error="",
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        try:
            async with self._sessions() as session, session.begin():
                session.add(row)
        except IntegrityError:
            found = await self.task(task_id=task_id)
            assert found is not None
            return found
        return row

    async def update_task(self, *, task_id: str, changes: dict[str, Any]) -> None:
        async with self._sessions() as session, session.begin():
            row = await session.get(TranscribeTaskRow, task_id[:32])
            if row is not None:
                for column, value in {**changes, "updated_at": utcnow()}.items():
                    setattr(row, column, value)
