"""The upload pipeline: a metadata row first, bytes streamed to the backend, checks, then commit and tasks.

Bytes are hashed, counted and sniffed as they pass; nothing holds a whole upload. A failed check or a
dropped stream discards the row and whatever bytes were written, so an over-limit upload leaves nothing.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import structlog
from sqlalchemy.exc import IntegrityError

from services.files.adapters.base import ObjectBackend, new_key
from services.files.audio_length import measure_stored_audio
from services.files.bus import (
    INGEST_SUBJECT,
    TRANSCRIBE_SUBJECT,
    Bus,
    announce_msg_id,
    announce_payload,
    ingest_payload,
    new_task_id,
)
from services.files.config import FilesSettings
from services.files.deletion import Deleter
from services.files.models import KIND_AUTO, KIND_FILE, KIND_IMAGE, KIND_VOICE, StoredObject
from services.files.sniff import SNIFF_BYTES, Sniffed, check_folder, display_name, sniff
from services.files.store import PENDING, READY, FilesStore
from services.files.transcripts import INGEST_QUEUED, NONE, QUEUED, TRANSCRIBING
from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.errors import InvalidArgument, Unavailable

log = structlog.get_logger(__name__)

_ID_EPOCH_MS = 1_704_067_200_000  # 2024-01-01: ids stay below 2**53 for ~69 years
_INDEX_NAME_MAX = 255
_STRATEGY_MAX = 32


def new_object_id() -> int:
    """Time-ordered: milliseconds since 2024 in the high bits, 12 random bits below."""
    return ((int(time.time() * 1000) - _ID_EPOCH_MS) << 12) | secrets.randbits(12)


def too_large(limit: int) -> InvalidArgument:
    return InvalidArgument(f"file exceeds the {limit // (1024 * 1024)} MB limit", reason="file_too_large", field="file")


@dataclass(frozen=True)
class UploadSpec:
    """What the client said about an upload; only name and folder are kept, and only for display."""

    name: str
    folder: str = ""
    kind: int = KIND_AUTO
    size: int = 0
    cloud_space: bool = False
    ingest_index: str | None = None
    chunking_strategy: str = ""
    transcribe: bool = False
    sha256: str = ""
    allowed_formats: tuple[str, ...] = ()
    unsupported_field: str = "file"


class Uploader:
    """Streams uploads into the backend and commits them."""

    def __init__(
        self, *, settings: FilesSettings, store: FilesStore, backend: ObjectBackend, bus: Bus, deleter: Deleter
    ) -> None:
        self.settings = settings
        self.store = store
        self.backend = backend
        self.bus = bus
        self.deleter = deleter

    def limit_for(self, kind: int) -> int:
        """The byte limit of one object of this kind."""
        if kind == KIND_IMAGE:
            return self.settings.max_image_bytes
        if kind == KIND_VOICE:
            return self.settings.max_voice_bytes
        return self.settings.max_file_bytes

    def _validate(self, spec: UploadSpec) -> tuple[str, str]:
        if spec.kind not in (KIND_AUTO, KIND_FILE, KIND_IMAGE, KIND_VOICE):
            raise InvalidArgument("unknown object kind", field="kind")
        if spec.size < 0:
            raise InvalidArgument("size must not be negative", field="size")
        if spec.size > self.limit_for(spec.kind):
            raise too_large(self.limit_for(spec.kind))
        if spec.ingest_index is not None and len(spec.ingest_index) > _INDEX_NAME_MAX:
            raise InvalidArgument("index_name is too long", field="index_name")
        if len(spec.chunking_strategy) > _STRATEGY_MAX:
            raise InvalidArgument("chunking_strategy is too long", field="chunking_strategy")
        if spec.sha256 and (len(spec.sha256) != 64 or any(c not in "0123456789abcdef" for c in spec.sha256.lower())):
            raise InvalidArgument("sha256 must be a hex digest", field="sha256")
        if spec.transcribe and spec.kind != KIND_VOICE:
            raise InvalidArgument("only voice objects can be transcribed", field="kind")
        return display_name(spec.name), check_folder(spec.folder)

    async def _insert_pending(self, principal: Principal, name: str, folder: str, spec: UploadSpec) -> StoredObject:
        for attempt in range(5):
            object_id = new_object_id()
            row = StoredObject(
                id=object_id,
                user_id=principal.user_id,
                company_id=principal.company_id,
                key=new_key(),
                object_name=f"{folder}/{object_id}-{name}",
                name=name,
                folder=folder,
                kind=spec.kind or KIND_FILE,
                cloud_space=spec.cloud_space,
                state=PENDING,
                created_at=utcnow(),
            )
            try:
                return await self.store.add(row=row)
            except IntegrityError:
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def _kind_of(self, spec: UploadSpec, sniffed: Sniffed) -> int:
        if spec.kind == KIND_IMAGE and not sniffed.is_image:
            raise InvalidArgument("the file is not a jpg, png, gif, webp or bmp image", reason="unsupported_type")
        if spec.kind == KIND_VOICE and sniffed.voice_format is None:
            raise InvalidArgument("voice must be mp3, wav or m4a", reason="unsupported_type")
        stored_format = sniffed.voice_format or sniffed.format
        if spec.allowed_formats and stored_format not in spec.allowed_formats:
            allowed = ", ".join(dict.fromkeys(spec.allowed_formats))
            raise InvalidArgument(
                f"unsupported file type; allowed: {allowed}", reason="unsupported_type", field=spec.unsupported_field
            )
        if spec.kind == KIND_AUTO:
            # Audio is a voice object whatever route it came through, so an ingest intent reaches its transcript.
            return KIND_IMAGE if sniffed.is_image else KIND_VOICE if sniffed.voice_format else KIND_FILE
        return spec.kind

    async def put(self, *, principal: Principal, spec: UploadSpec, chunks: AsyncIterator[bytes]) -> StoredObject:
        """Store one upload and queue its tasks; on any failure nothing of it remains."""
        name, folder = self._validate(spec)
        row = await self._insert_pending(principal, name, folder, spec)
        digest = hashlib.sha256()
        state = {"size": 0, "limit": self.limit_for(spec.kind), "kind": spec.kind}
        head = bytearray()
        found: list[Sniffed] = []

        def check_head() -> None:
            sniffed = sniff(bytes(head), name=name)
            found.append(sniffed)
            state["kind"] = self._kind_of(spec, sniffed)
            state["limit"] = self.limit_for(state["kind"])
            if state["size"] > state["limit"]:
                raise too_large(state["limit"])

        async def checked() -> AsyncIterator[bytes]:
            async for chunk in chunks:
                if not chunk:
                    continue
                state["size"] += len(chunk)
                if state["size"] > state["limit"]:
                    raise too_large(state["limit"])
                digest.update(chunk)
                if not found:
                    head.extend(chunk[: SNIFF_BYTES - len(head)])
                    if len(head) >= SNIFF_BYTES:
                        check_head()
                yield chunk
            if not found:
                check_head()
            if state["size"] == 0:
                raise InvalidArgument("the file is empty", reason="empty_file", field="file")

        try:
            await self.backend.put(row.key, checked())
            if spec.sha256 and spec.sha256.lower() != digest.hexdigest():
                raise InvalidArgument("the bytes do not match sha256", reason="sha256_mismatch", field="sha256")
            return await self._commit(principal, row, spec, found[0], state["kind"], state["size"], digest.hexdigest())
        except BaseException:
            await self.deleter.discard_upload(row=row)
            raise

    async def _commit(
        self,
        principal: Principal,
        row: StoredObject,
        spec: UploadSpec,
        sniffed: Sniffed,
        kind: int,
        size: int,
        sha256: str,
    ) -> StoredObject:
        ingest_task = new_task_id() if spec.ingest_index is not None else ""
        # A voice object is indexed through its transcript: an ingest intent needs one, and waits for it.
        transcribe = spec.transcribe or (kind == KIND_VOICE and bool(ingest_task))
        transcribe_task = new_task_id() if transcribe else ""
        parse_status = "none"
        if ingest_task:
            parse_status = TRANSCRIBING if transcribe else INGEST_QUEUED
        # Audio is measured once here, so a meeting's length is known while it goes on, before any transcript.
        duration_ms = await measure_stored_audio(self.backend, row.key) if kind == KIND_VOICE else 0
        row = await self.store.update(
            object_id=row.id,
            changes={
                "duration_ms": duration_ms,
                "size": size,
                "sha256": sha256,
                "content_type": sniffed.content_type,
                "format": sniffed.voice_format or sniffed.format,
                "kind": kind,
                "ingest_task_id": ingest_task,
                "ingest_index_name": spec.ingest_index or "",
                "ingest_chunking": spec.chunking_strategy or "basic",
                "transcribe_task_id": transcribe_task,
                "transcript_status": QUEUED if transcribe else NONE,
                "parse_status": parse_status,
                "state": READY,
            },
        )
        owner = {"user_id": principal.user_id, "company_id": principal.company_id}
        try:
            if parse_status == INGEST_QUEUED:
                await self.bus.task(subject=INGEST_SUBJECT, payload=ingest_payload(row), task_id=ingest_task)
            elif parse_status == TRANSCRIBING:
                # The caller polls the task id at once: retrieval records it now, and runs it after SetTranscript.
                task_id = announce_msg_id(ingest_task)
                await self.bus.task(subject=INGEST_SUBJECT, payload=announce_payload(row), task_id=task_id)
            if transcribe_task:
                voice = {"task_id": transcribe_task, "file_id": str(row.id), "language": "", **owner, "source": "file"}
                await self.bus.task(subject=TRANSCRIBE_SUBJECT, payload=voice, task_id=transcribe_task)
        except Exception as error:
            log.warning("task_publish_failed", object_id=row.id, error=repr(error))
            raise Unavailable("could not queue the file's processing; try again", reason="queue_unavailable") from None
        log.info("object_stored", object_id=row.id, size=size, content_type=sniffed.content_type, kind=kind)
        return row
