"""The processing job: transcribe every chunk (bounded, in parallel), assemble the transcript, then the minutes.

At least once and idempotent: a chunk's transcription is stored once, the transcript and the minutes once per
meeting, so a worker killed mid-job is resumed by the redelivery without redoing finished chunks. A chunk voice
cannot transcribe (bad audio, a file gone) becomes a gap with its reason; a transient failure (voice or chat
unavailable) is retried with backoff, and on the last delivery it too becomes a gap, or failed minutes.
"""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

import structlog

from services.kit.context import Principal
from services.kit.errors import MeshError, Unavailable
from services.kit.nats import DL_DELIVERIES, DL_REASON, PermanentFailure, Task
from services.meetings.config import MeetingsSettings
from services.meetings.models import Chunk, ChunkStatus, Meeting, State
from services.meetings.outbox import Outbox
from services.meetings.peers import Peers, is_permanent
from services.meetings.progress import Progress, chunk_text
from services.meetings.service import TIME_FORMAT
from services.meetings.transcript import (
    assemble,
    has_speech,
    minutes_query,
    minutes_system_prompt,
    spoken_language,
)

log = structlog.get_logger(__name__)
NO_SPEECH = "no speech was transcribed in this meeting, so there is nothing to write minutes from"


def _meeting_id(task: Task) -> str:
    meeting_id = task.payload.get("meeting_id")
    if not isinstance(meeting_id, str) or not meeting_id:
        raise PermanentFailure("not a meetings job: meeting_id is missing")
    return meeting_id


class MeetingWorker:
    """Handlers of the process consumer and of its dead letters."""

    def __init__(self, *, settings: MeetingsSettings, progress: Progress, peers: Peers, outbox: Outbox) -> None:
        self.settings = settings
        self.progress = progress
        self.peers = peers
        self.outbox = outbox

    async def process(self, task: Task) -> None:
        """Bring a closed meeting to done (or failed minutes); anything already done is skipped."""
        meeting = await self.progress.meeting(meeting_id=_meeting_id(task))
        if meeting is None or meeting.state != State.ORGANIZING:
            return
        last_attempt = task.delivery >= self.settings.meetings_max_deliver
        principal = Principal(user_id=meeting.user_id, company_id=meeting.company_id)
        bound = log.bind(meeting_id=meeting.id, delivery=task.delivery)
        if meeting.transcript_state == State.ORGANIZING:
            await self._transcribe(meeting, principal, last_attempt=last_attempt)
            bound.info("meeting_transcribed")
        meeting = await self.progress.meeting(meeting_id=meeting.id)
        if meeting is not None and meeting.minutes_state == State.ORGANIZING:
            await self._organize(meeting, principal, last_attempt=last_attempt)
            bound.info("meeting_organized")

    async def _transcribe_chunk(self, meeting: Meeting, chunk: Chunk, principal: Principal, *, last: bool) -> bool:
        """Transcribe and store one chunk; False when voice failed for now and a later delivery should retry."""
        try:
            result = await self.peers.transcribe(
                principal=principal,
                file_id=chunk.file_id,
                language=meeting.language,
                timeout_s=self.settings.meetings_transcribe_timeout_s,
            )
        except MeshError as error:
            if not (is_permanent(error) or last):
                log.warning(
                    "chunk_transcription_deferred", meeting_id=meeting.id, file_id=chunk.file_id, error=repr(error)
                )
                return False
            await self.progress.store_chunk(meeting_id=meeting.id, position=chunk.position, error=error.message)
            return True
        await self.progress.store_chunk(
            meeting_id=meeting.id,
            position=chunk.position,
            text=result.text,
            segments=result.segments,
            language=result.language,
            duration_ms=result.duration_ms,
        )
        return True

    async def _transcribe(self, meeting: Meeting, principal: Principal, *, last_attempt: bool) -> None:
        pending = [c for c in await self.progress.chunks(meeting_id=meeting.id) if c.status == ChunkStatus.PENDING]
        gate = asyncio.Semaphore(self.settings.meetings_transcribe_concurrency)

        async def one(chunk: Chunk) -> bool:
            async with gate:
                return await self._transcribe_chunk(meeting, chunk, principal, last=last_attempt)

        stored = await asyncio.gather(*(one(chunk) for chunk in pending))
        if not all(stored):
            # Finished chunks stay stored; the redelivery transcribes only the rest.
            raise Unavailable(
                f"{stored.count(False)} chunk(s) could not be transcribed yet", reason="voice_unavailable"
            )
        chunks = [chunk_text(c) for c in await self.progress.chunks(meeting_id=meeting.id)]
        messages = await self.progress.finish_transcript(
            meeting_id=meeting.id,
            transcript=assemble(chunks),
            duration_ms=sum(c.duration_ms for c in chunks),
            gaps=sum(1 for c in chunks if c.gap),
        )
        await self.outbox.publish(messages)

    async def _organize(self, meeting: Meeting, principal: Principal, *, last_attempt: bool) -> None:
        chunks = [chunk_text(c) for c in await self.progress.chunks(meeting_id=meeting.id)]
        if not has_speech(chunks):
            await self.outbox.publish(await self.progress.finish_minutes(meeting_id=meeting.id, error=NO_SPEECH))
            return
        created = meeting.created_at.astimezone(ZoneInfo(self.settings.timezone)).strftime(TIME_FORMAT)
        try:
            minutes = await self.peers.generate(
                principal=principal,
                system=minutes_system_prompt(spoken_language(chunks, requested=meeting.language)),
                query=minutes_query(
                    name=meeting.name,
                    created=created,
                    duration_ms=meeting.duration_ms,
                    transcript=meeting.transcript,
                    max_chars=self.settings.meetings_minutes_max_chars,
                ),
                max_tokens=self.settings.meetings_minutes_max_tokens,
                timeout_s=self.settings.meetings_minutes_timeout_s,
            )
            if not minutes.strip():
                raise Unavailable("the model answered with empty minutes", reason="empty_minutes")
        except MeshError as error:
            if not (is_permanent(error) or last_attempt):
                raise
            reason = f"the minutes could not be written: {error.message}"
            await self.outbox.publish(await self.progress.finish_minutes(meeting_id=meeting.id, error=reason))
            return
        await self.outbox.publish(await self.progress.finish_minutes(meeting_id=meeting.id, minutes=minutes.strip()))

    async def dead_letter(self, task: Task) -> None:
        """The job was given up on (retries spent, or a worker died holding its last delivery): the meeting fails."""
        attempts = task.headers.get(DL_DELIVERIES, "?")
        why = task.headers.get(DL_REASON, "unknown")
        error = f"processing gave up after {attempts} attempt(s) ({why}); see the meetings service log"
        await self.outbox.publish(await self.progress.fail(meeting_id=_meeting_id(task), error=error))
