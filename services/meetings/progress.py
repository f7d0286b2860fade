"""The job's side of the store: chunk results stored once, transcript and minutes finished once, the outbox.

Each write is conditional on the step not being done yet, so a redelivered or duplicated job never stores a chunk
twice nor publishes an event twice; it just finds less left to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.clock import utcnow
from services.meetings.models import Chunk, ChunkStatus, Meeting, OutboxMessage, State
from services.meetings.store import MeetingStore, outbox_event
from services.meetings.transcript import ChunkText

ERROR_MAX_CHARS = 2000


def chunk_text(chunk: Chunk) -> ChunkText:
    return ChunkText(
        position=chunk.position,
        file_id=chunk.file_id,
        gap=chunk.status == ChunkStatus.GAP,
        text=chunk.text,
        segments=chunk.segments or [],
        duration_ms=chunk.duration_ms,
        language=chunk.language,
        error=chunk.error,
    )


class Progress:
    """Reads and conditional writes for the processing job (internal: no principal, the job names the meeting)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._writer = MeetingStore(sessions)

    async def meeting(self, *, meeting_id: str) -> Meeting | None:
        async with self.sessions() as session:
            return await session.get(Meeting, meeting_id)

    async def chunks(self, *, meeting_id: str) -> list[Chunk]:
        """Every chunk of a meeting in speaking order."""
        query = sa.select(Chunk).where(Chunk.meeting_id == meeting_id).order_by(Chunk.position)
        async with self.sessions() as session:
            return list((await session.execute(query)).scalars())

    async def store_chunk(
        self,
        *,
        meeting_id: str,
        position: int,
        text: str = "",
        segments: Sequence[Sequence[Any]] = (),
        language: str = "",
        duration_ms: int = 0,
        error: str = "",
    ) -> bool:
        """Record a chunk's transcription (or, with error, its gap); False when it was recorded already."""
        values: dict[str, Any] = {
            "status": (ChunkStatus.GAP if error else ChunkStatus.DONE).value,
            "text": "" if error else text,
            "segments": [] if error else [list(s) for s in segments],
            "language": language,
            "error": error[:ERROR_MAX_CHARS],
            "transcribed_at": utcnow(),
        }
        if duration_ms > 0:  # else the length files measured at upload stays (a gap still lasted that long)
            values["duration_ms"] = duration_ms
        pending = sa.and_(
            Chunk.meeting_id == meeting_id, Chunk.position == position, Chunk.status == ChunkStatus.PENDING.value
        )
        async with self._writer.transaction() as session:
            done = await session.execute(sa.update(Chunk).where(pending).values(**values))
            return bool(done.rowcount)  # type: ignore[attr-defined]

    async def finish_transcript(
        self, *, meeting_id: str, transcript: str, duration_ms: int, gaps: int
    ) -> list[OutboxMessage]:
        """Store the transcript once: the meeting is done unless minutes are due; queues `transcribed`."""
        async with self._writer.transaction() as session:
            meeting = await self._locked(session, meeting_id)
            if meeting is None or meeting.transcript_state != State.ORGANIZING:
                return []
            meeting.transcript, meeting.duration_ms = transcript, duration_ms
            meeting.transcript_state = int(State.COMPLETED)
            if meeting.minutes_state == State.NONE:
                meeting.state = int(State.COMPLETED)
            event = outbox_event(
                meeting, "transcribed", duration_ms=duration_ms, chunk_count=meeting.chunk_count, gaps=gaps
            )
            session.add(event)
            return [event]

    async def finish_minutes(self, *, meeting_id: str, minutes: str = "", error: str = "") -> list[OutboxMessage]:
        """Store the minutes once (or, with error, why there are none): the meeting ends; queues `organized`."""
        async with self._writer.transaction() as session:
            meeting = await self._locked(session, meeting_id)
            if meeting is None or meeting.minutes_state != State.ORGANIZING:
                return []
            final = State.FAILED if error else State.COMPLETED
            meeting.minutes, meeting.error = ("", error[:ERROR_MAX_CHARS]) if error else (minutes, "")
            meeting.minutes_state = meeting.state = int(final)
            event = outbox_event(meeting, "organized", state=final.name.lower(), error=meeting.error)
            session.add(event)
            return [event]

    async def fail(self, *, meeting_id: str, error: str) -> list[OutboxMessage]:
        """Give up on whatever is still being produced (the job was dead-lettered); queues `organized` as failed."""
        async with self._writer.transaction() as session:
            meeting = await self._locked(session, meeting_id)
            if meeting is None or meeting.state != State.ORGANIZING:
                return []
            for column in ("transcript_state", "minutes_state"):
                if getattr(meeting, column) == State.ORGANIZING:
                    setattr(meeting, column, int(State.FAILED))
            meeting.state, meeting.error = int(State.FAILED), error[:ERROR_MAX_CHARS]
            event = outbox_event(meeting, "organized", state="failed", error=meeting.error)
            session.add(event)
            return [event]

    @staticmethod
    async def _locked(session: AsyncSession, meeting_id: str) -> Meeting | None:
        query = sa.select(Meeting).where(Meeting.id == meeting_id).with_for_update()
        return (await session.execute(query)).scalars().first()

    async def pending_outbox(self, *, limit: int = 200) -> list[OutboxMessage]:
        query = sa.select(OutboxMessage).order_by(OutboxMessage.created_at).limit(limit)
        async with self.sessions() as session:
            return list((await session.execute(query)).scalars())

    async def forget_outbox(self, *, ids: Sequence[str]) -> None:
        if not ids:
            return
        async with self._writer.transaction() as session:
            await session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id.in_(list(ids))))
