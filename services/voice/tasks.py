"""Consumer of mesh.tasks.voice.transcribe (lbai addVoice voiceType 2): transcribe, then files.SetTranscript."""

from __future__ import annotations

import structlog

from services.kit import nats as mesh_nats
from services.kit.context import Principal
from services.kit.errors import FailedPrecondition, InvalidArgument, MeshError, NotFound
from services.kit.workqueue import PermanentFailure, Task
from services.voice.models import FAILED, RUNNING, SUCCEEDED
from services.voice.peers import Peers
from services.voice.store import VoiceStore
from services.voice.transcription import Transcriber

log = structlog.get_logger(__name__)
TRANSCRIBE_SUBJECT = "mesh.tasks.voice.transcribe"
TRANSCRIBE_DURABLE = "voice_transcribe"


def _owner(payload: dict[str, object]) -> Principal:
    try:
        return Principal(user_id=int(str(payload["user_id"])), company_id=int(str(payload["company_id"])))
    except (KeyError, TypeError, ValueError):
        raise PermanentFailure("a transcription task must name user_id and company_id") from None


class TranscribeTasks:
    """Idempotent per task id: a task already finished is acknowledged again without work."""

    def __init__(self, *, store: VoiceStore, transcriber: Transcriber, peers: Peers) -> None:
        self.store = store
        self.transcriber = transcriber
        self.peers = peers

    async def run(self, task: Task) -> None:
        payload = task.payload
        task_id = str(payload.get("task_id") or "").strip()
        object_id = str(payload.get("file_id") or "").strip()
        if not task_id or not object_id:
            raise PermanentFailure("a transcription task must name task_id and file_id")
        owner = _owner(payload)
        row = await self.store.record_task(task_id=task_id, object_id=object_id, principal=owner)
        if row.status in (SUCCEEDED, FAILED):
            return
        await self.store.update_task(task_id=task_id, changes={"status": RUNNING, "attempts": row.attempts + 1})
        try:
            result = await self.transcriber.file(
                principal=owner,
                object_id=object_id,
                language=str(payload.get("language") or ""),
                store_with_file=False,
            )
        except (InvalidArgument, FailedPrecondition) as error:  # the file itself: retrying cannot help
            await self._fail(task_id, owner, object_id, error.message)
            return
        except NotFound:
            # Deleted since the upload: nothing to store the transcript with.
            await self.store.update_task(task_id=task_id, changes={"status": FAILED, "error": "the file is gone"})
            return
        await self.peers.set_transcript(
            principal=owner,
            object_id=object_id,
            text=result.text,
            language=result.language,
            duration_ms=result.duration_ms,
        )
        await self.store.update_task(task_id=task_id, changes={"status": SUCCEEDED, "error": ""})
        log.info("voice_task_transcribed", task_id=task_id, object_id=object_id, chars=len(result.text))

    async def _fail(self, task_id: str, owner: Principal, object_id: str, message: str) -> None:
        text = f"the voice file could not be transcribed: {message}"
        try:
            await self.peers.set_transcript(
                principal=owner, object_id=object_id, text="", language="", duration_ms=0, error=text
            )
        except NotFound:
            pass
        await self.store.update_task(task_id=task_id, changes={"status": FAILED, "error": text})
        log.info("voice_task_failed", task_id=task_id, object_id=object_id, error=message)

    async def dead_letter(self, task: Task) -> None:
        """A task that ran out of attempts: the file learns why, so its transcript never stays 'queued'."""
        payload = task.payload
        task_id = str(payload.get("task_id") or "").strip()
        object_id = str(payload.get("file_id") or "").strip()
        if not task_id or not object_id:
            return
        try:
            owner = _owner(payload)
        except PermanentFailure:
            return
        row = await self.store.task(task_id=task_id)
        if row is not None and row.status in (SUCCEEDED, FAILED):
            return
        reason = task.headers.get(mesh_nats.DL_REASON) or "retries exhausted"
        try:
            if row is None:
                await self.store.record_task(task_id=task_id, object_id=object_id, principal=owner)
            await self._fail(task_id, owner, object_id, f"transcription kept failing ({reason}); upload it again")
        except MeshError:
            log.exception("voice_task_dead_letter_failed", task_id=task_id)
            raise
