"""TTS jobs (lbai /tts): get-or-create per (caller, text, voice, encoding), run on JetStream, stored exactly once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import orjson
import structlog
from nats.js import JetStreamContext

from services.kit import nats as mesh_nats
from services.kit.clock import as_utc, utcnow
from services.kit.context import Principal
from services.kit.errors import InvalidArgument, MeshError
from services.kit.workqueue import PermanentFailure, Task
from services.voice.audio.decode import AUTO, AudioSpec, decode_audio
from services.voice.audio.encode import MP3_OUT, WAV_OUT
from services.voice.config import VoiceSettings
from services.voice.engines.selection import Engines
from services.voice.models import FAILED, PENDING, RUNNING, SUCCEEDED, TtsJobRow
from services.voice.peers import Peers
from services.voice.pool import WorkerPool
from services.voice.store import VoiceStore
from services.voice.synthesis import SynthesisSpec, check_synthesis, synthesize

log = structlog.get_logger(__name__)
TTS_SUBJECT = "mesh.tasks.voice.tts"
TTS_DURABLE = "voice_tts"
# A job still unfinished this long after its last change is queued again when asked for (its message was lost).
STALE_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class JobView:
    row: TtsJobRow
    url: str = ""


def request_key(spec: SynthesisSpec) -> str:
    """The identity of a request: the same text, voice, encoding and language find the same job."""
    payload = orjson.dumps([spec.text, spec.voice.strip(), spec.encoding, spec.language, spec.speed])
    return hashlib.sha256(payload).hexdigest()


class TtsJobs:
    def __init__(
        self,
        *,
        settings: VoiceSettings,
        store: VoiceStore,
        engines: Engines,
        peers: Peers,
        pool: WorkerPool,
        js: JetStreamContext,
    ) -> None:
        self.settings = settings
        self.store = store
        self.engines = engines
        self.peers = peers
        self.pool = pool
        self.js = js

    async def create(self, *, principal: Principal, spec: SynthesisSpec, public_base_url: str = "") -> JobView:
        """The caller's job for this request, created and queued when new; a finished one carries its URL."""
        if spec.encoding not in (MP3_OUT, WAV_OUT):
            raise InvalidArgument("TTS jobs store mp3 or wav audio", reason="unsupported_format", field="encoding")
        spec = check_synthesis(spec, max_chars=self.settings.voice_max_tts_chars)
        fields = {"text": spec.text, "voice": spec.voice.strip(), "encoding": spec.encoding, "language": spec.language}
        row, created = await self.store.get_or_create_job(principal=principal, key=request_key(spec), fields=fields)
        if row.status == FAILED:  # asking again retries a failed job
            row = await self.store.update_job(job_id=row.id, changes={"status": PENDING, "error": ""})
            created = True
        stale = row.status in (PENDING, RUNNING) and utcnow() - as_utc(row.updated_at) > STALE_AFTER
        if created or stale:
            await self._queue(row)
        return await self.view(principal=principal, row=row, public_base_url=public_base_url)

    async def _queue(self, row: TtsJobRow) -> None:
        await mesh_nats.publish_task(
            self.js, subject=TTS_SUBJECT, payload={"job_id": row.id}, msg_id=f"tts:{row.id}:{row.attempts}"
        )

    async def get(self, *, principal: Principal, job_id: str, public_base_url: str = "") -> JobView:
        row = await self.store.job(principal=principal, job_id=job_id.strip())
        return await self.view(principal=principal, row=row, public_base_url=public_base_url)

    async def view(self, *, principal: Principal, row: TtsJobRow, public_base_url: str = "") -> JobView:
        """The job with a fresh presigned URL once it succeeded."""
        if row.status != SUCCEEDED or not row.object_id:
            return JobView(row)
        signed = await self.peers.presign(
            principal=principal,
            object_id=row.object_id,
            expires_s=self.settings.voice_url_expires_s,
            public_base_url=public_base_url,
        )
        return JobView(row, signed.url)

    async def run(self, task: Task) -> None:
        """Work-queue handler: synthesize and store the job's audio exactly once, however often it is delivered."""
        job_id = str(task.payload.get("job_id") or "")
        row = await self.store.job_by_id(job_id=job_id) if job_id else None
        if row is None:
            raise PermanentFailure(f"unknown TTS job {job_id!r}")
        if row.status in (SUCCEEDED, FAILED):
            return
        owner = Principal(user_id=row.user_id, company_id=row.company_id)
        folder = f"tts/{row.id}"
        # An earlier attempt may have stored the audio and died before recording it: use that object.
        stored = await self.peers.find_stored(principal=owner, folder=folder)
        row = await self.store.update_job(job_id=row.id, changes={"status": RUNNING, "attempts": row.attempts + 1})
        if stored is None:
            spec = SynthesisSpec(text=row.text, voice=row.voice, encoding=row.encoding, language=row.language)
            try:
                data = await self._speak(owner, spec)
            except InvalidArgument as error:  # retrying cannot help (an unknown voice)
                await self.store.update_job(job_id=row.id, changes={"status": FAILED, "error": error.message})
                return
            stored = await self.peers.store_voice(
                principal=owner, folder=folder, name=f"speech.{row.encoding}", data=data
            )
        else:
            data = b""
        duration_ms = await self._duration(owner, stored.id, data)
        await self.store.update_job(
            job_id=row.id, changes={"status": SUCCEEDED, "object_id": stored.id, "duration_ms": duration_ms}
        )
        log.info("tts_job_done", job_id=row.id, object_id=stored.id, attempts=row.attempts)

    async def _speak(self, owner: Principal, spec: SynthesisSpec) -> bytes:
        engine = await self.engines.tts(owner)
        parts = [out.data async for out in synthesize(engine, check_synthesis(spec, max_chars=len(spec.text) + 1))]
        return b"".join(parts)

    async def _duration(self, owner: Principal, object_id: str, data: bytes) -> int:
        if not data:
            data = (await self.peers.read_voice(principal=owner, object_id=object_id, max_bytes=1 << 30)).data
        audio = await self.pool.run(lambda _: decode_audio(data, AudioSpec(AUTO), max_s=86_400.0), force=True)
        return len(audio) * 1000 // 16_000

    async def dead_letter(self, task: Task) -> None:
        """A job that ran out of attempts ends FAILED with the reason (asking again retries it)."""
        job_id = str(task.payload.get("job_id") or "")
        row = await self.store.job_by_id(job_id=job_id) if job_id else None
        if row is None or row.status == SUCCEEDED:
            return
        reason = task.headers.get(mesh_nats.DL_ERROR) or task.headers.get(mesh_nats.DL_REASON) or "unknown"
        try:
            await self.store.update_job(
                job_id=row.id, changes={"status": FAILED, "error": f"speech synthesis failed: {reason}"[:1000]}
            )
        except MeshError:
            log.exception("tts_dead_letter_failed", job_id=job_id)
