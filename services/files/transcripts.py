"""Voice transcripts stored with their object, and the ingestion that waits for them.

A voice upload with an ingest intent is not handed to retrieval until its transcript is stored: the upload keeps
parse_status "transcribing", and SetTranscript publishes the ingestion task (also for a failed transcription, so
the task ends FAILED with the reason). ExtractText of a voice object yields its transcript, or an error while
there is none, so an empty, untranscribed object is never indexed.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from services.files.bus import INGEST_SUBJECT, Bus, ingest_payload, new_task_id
from services.files.models import KIND_VOICE, StoredObject
from services.files.store import FilesStore, Ref
from services.kit.context import Principal
from services.kit.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable

log = structlog.get_logger(__name__)

NONE, QUEUED, DONE, FAILED = "none", "queued", "done", "failed"
# parse_status of an ingest intent that waits for the transcript, and of one whose task is published.
TRANSCRIBING, INGEST_QUEUED = "transcribing", "queued"
_LANGUAGE_MAX, _ERROR_MAX = 16, 1024


@dataclass(frozen=True)
class TranscriptResult:
    """What the voice service heard: the text, or (error set) why it could not."""

    text: str
    language: str = ""
    duration_ms: int = 0
    error: str = ""


def parse_object_id(raw: str) -> int:
    """An object id as the store knows it; anything else names no object."""
    text = raw.strip()
    if not text.isdigit() or len(text) > 18:
        raise NotFound("file not found", reason="file_not_found")
    return int(text)


def _record(row: StoredObject, result: TranscriptResult) -> None:
    """Store the result on the locked row: the first transcript wins; a failure may be replaced by a success."""
    if row.kind != KIND_VOICE:
        raise InvalidArgument("only voice files have transcripts", reason="not_voice", field="object_id")
    if row.transcript_status == DONE:
        return  # a redelivered task or a second transcription: the stored text stays what retrieval indexed
    if result.error:
        row.transcript_status, row.transcript_error = FAILED, result.error.strip()[:_ERROR_MAX] or "failed"
        return
    if row.transcript_status == FAILED and row.parse_status == INGEST_QUEUED:
        # The ingestion already ran (and failed on the missing transcript): index the text under a new task.
        row.ingest_task_id, row.parse_status = new_task_id(), TRANSCRIBING
    row.transcript_status, row.transcript_error = DONE, ""
    row.transcript_text = result.text
    row.transcript_language = result.language.strip()[:_LANGUAGE_MAX]
    if result.duration_ms > 0:  # else the length measured at upload stays
        row.duration_ms = result.duration_ms


class Transcripts:
    """Stores transcripts (SetTranscript) and reads them back as an object's text (ExtractText)."""

    def __init__(self, *, store: FilesStore, bus: Bus) -> None:
        self.store = store
        self.bus = bus

    async def set(self, *, principal: Principal, object_id: str, result: TranscriptResult) -> StoredObject:
        """Store a voice object's transcript (idempotent per object), then publish the ingestion it held back."""
        if result.duration_ms < 0:
            raise InvalidArgument("duration_ms must not be negative", field="duration_ms")
        ref = Ref(id=parse_object_id(object_id))
        row = await self.store.change_owned(principal=principal, ref=ref, change=lambda r: _record(r, result))
        log.info("transcript_stored", object_id=row.id, status=row.transcript_status, chars=len(row.transcript_text))
        if row.parse_status == TRANSCRIBING and row.transcript_status in (DONE, FAILED):
            row = await self._publish_ingest(row)
        return row

    async def _publish_ingest(self, row: StoredObject) -> StoredObject:
        # Published before the row says so: a crash in between republishes under the same id (deduplicated).
        try:
            await self.bus.task(subject=INGEST_SUBJECT, payload=ingest_payload(row), task_id=row.ingest_task_id)
        except Exception as error:
            log.warning("task_publish_failed", object_id=row.id, error=repr(error))
            raise Unavailable("could not queue the file's ingestion; try again", reason="queue_unavailable") from None
        return await self.store.update(object_id=row.id, changes={"parse_status": INGEST_QUEUED})

    async def text_of(self, row: StoredObject) -> str:
        """A voice object's transcript, or why there is none yet (an error event for ExtractText)."""
        if row.transcript_status == DONE:
            return await self.store.transcript_text(object_id=row.id)
        if row.transcript_status == FAILED:
            raise FailedPrecondition(
                f"the voice file could not be transcribed: {row.transcript_error}", reason="transcription_failed"
            )
        if row.transcript_status == QUEUED:
            raise FailedPrecondition("the voice file is still being transcribed", reason="transcript_pending")
        raise FailedPrecondition("the voice file was not transcribed", reason="not_transcribed")
