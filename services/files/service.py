"""Files use cases: upload, read, list, presign, delete, the image proxy, text extraction and limits."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import filetype

from services.files.adapters.base import ObjectBackend, PresignRequest
from services.files.config import FilesSettings
from services.files.deletion import Deleter
from services.files.extract import EXTRACTABLE, TextExtractor
from services.files.fetcher import FetchFailed, SafeFetcher
from services.files.models import KIND_VOICE, StoredObject
from services.files.signing import UrlSigner
from services.files.sniff import FILE_FORMATS, IMAGE_FORMATS, VOICE_FORMATS
from services.files.store import FilesStore, Ref
from services.files.transcripts import Transcripts, parse_object_id
from services.files.uploads import Uploader, UploadSpec
from services.files.url_text import extract_url
from services.kit.context import Principal
from services.kit.errors import InvalidArgument, MeshError, NotFound

_IMAGE_MIME = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"}
TEXT_PIECE_CHARS = 16_000


@dataclass(frozen=True)
class Presigned:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class ImageResult:
    success: bool
    data: bytes = b""
    content_type: str = ""
    error: str = ""


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_image_bytes: int
    max_voice_bytes: int
    max_images_per_message: int
    max_files_per_upload: int
    max_presign_seconds: int
    file_formats: tuple[str, ...]
    image_formats: tuple[str, ...]
    voice_formats: tuple[str, ...]


@dataclass(frozen=True)
class ExtractEvent:
    """One frame of an extraction: kind "progress", "text" or "error"."""

    kind: str
    object_id: str
    filename: str = ""
    stage: str = ""
    percent: int = 0
    text: str = ""
    truncated: bool = False
    reason: str = ""
    message: str = ""


class FilesService:
    """The files domain; the servicer translates proto to these calls and back."""

    def __init__(
        self,
        *,
        settings: FilesSettings,
        store: FilesStore,
        backend: ObjectBackend,
        uploader: Uploader,
        deleter: Deleter,
        signer: UrlSigner,
        fetcher: SafeFetcher,
        extractor: TextExtractor,
        transcripts: Transcripts,
    ) -> None:
        self.settings = settings
        self.store = store
        self.backend = backend
        self.uploader = uploader
        self.deleter = deleter
        self.signer = signer
        self.fetcher = fetcher
        self.extractor = extractor
        self.transcripts = transcripts

    def limits(self) -> Limits:
        """The upload limits and accepted formats."""
        s = self.settings
        return Limits(
            max_file_bytes=s.max_file_bytes,
            max_image_bytes=s.max_image_bytes,
            max_voice_bytes=s.max_voice_bytes,
            max_images_per_message=s.files_max_images_per_message,
            max_files_per_upload=s.files_max_files_per_upload,
            max_presign_seconds=s.files_presign_max_s,
            file_formats=FILE_FORMATS,
            image_formats=IMAGE_FORMATS,
            voice_formats=VOICE_FORMATS,
        )

    async def put_object(self, *, principal: Principal, spec: UploadSpec, chunks: AsyncIterator[bytes]) -> StoredObject:
        """Store an upload streamed in chunks, then queue its ingestion or transcription."""
        return await self.uploader.put(principal=principal, spec=spec, chunks=chunks)

    async def get_object(self, *, principal: Principal, ref: Ref) -> StoredObject:
        """A ready object the principal owns."""
        return await self.store.get(principal=principal, ref=ref)

    def _expiry(self, expires_s: int) -> int:
        if expires_s < 0:
            raise InvalidArgument("expires must be a positive number of seconds", field="expires")
        return min(expires_s or self.settings.files_presign_default_s, self.settings.files_presign_max_s)

    def presign_row(self, row: StoredObject, *, expires_s: int, download: bool, public_base_url: str) -> Presigned:
        """A URL for one object that stops working at the returned time."""
        seconds = self._expiry(expires_s)
        url = self.backend.presign(
            PresignRequest(
                key=row.key,
                object_id=row.id,
                filename=row.name,
                content_type=row.content_type,
                expires_s=seconds,
                download=download,
                public_base_url=public_base_url,
            )
        )
        return Presigned(url=url, expires_at=datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds))

    async def presign(
        self, *, principal: Principal, ref: Ref, expires_s: int, download: bool, public_base_url: str
    ) -> tuple[StoredObject, Presigned]:
        """A presigned URL for one of the principal's objects."""
        row = await self.store.get(principal=principal, ref=ref)
        return row, self.presign_row(row, expires_s=expires_s, download=download, public_base_url=public_base_url)

    async def batch_presign(
        self, *, principal: Principal, refs: Sequence[Ref], expires_s: int, download: bool, public_base_url: str
    ) -> list[tuple[Ref, StoredObject | None, Presigned | str]]:
        """Per-ref results: the URL, or why there is none; never fails as a whole for a missing object."""
        self._expiry(expires_s)
        results: list[tuple[Ref, StoredObject | None, Presigned | str]] = []
        for ref in refs:
            try:
                row, signed = await self.presign(
                    principal=principal,
                    ref=ref,
                    expires_s=expires_s,
                    download=download,
                    public_base_url=public_base_url,
                )
            except NotFound as error:
                results.append((ref, None, error.message))
            else:
                results.append((ref, row, signed))
        return results

    async def list_objects(
        self, *, principal: Principal, prefix: str, kind: int, cloud_space_only: bool, page: int, limit: int
    ) -> tuple[list[StoredObject], int]:
        """A page of the principal's objects, newest first."""
        if page < 1 or not 1 <= limit <= 1000:
            raise InvalidArgument("page must be at least 1 and limit between 1 and 1000", field="limit")
        return await self.store.list_ready(
            principal=principal, prefix=prefix, kind=kind, cloud_space_only=cloud_space_only, page=page, limit=limit
        )

    async def delete_objects(self, *, principal: Principal, refs: Sequence[Ref]) -> list[StoredObject]:
        """Delete the principal's objects among refs; unknown and foreign refs are skipped."""
        return await self.deleter.delete(principal=principal, refs=refs)

    async def open_object(
        self, *, principal: Principal | None, ref: Ref | None, signed_token: str, offset: int, length: int
    ) -> tuple[StoredObject, bool, AsyncIterator[bytes]]:
        """An object's metadata, whether it is asked for as an attachment, and its bytes."""
        if offset < 0 or length < 0:
            raise InvalidArgument("offset and length must not be negative", field="offset")
        attachment = False
        if signed_token:
            grant = self.signer.verify(signed_token)
            row = await self.store.get_for_grant(object_id=grant.object_id)
            attachment = grant.attachment
        elif principal is not None and ref is not None:
            row = await self.store.get(principal=principal, ref=ref)
        else:
            raise InvalidArgument("name the object or pass a signed token", field="ref")
        return row, attachment, self.backend.read(row.key, offset=offset, length=length)

    async def fetch_image(self, *, url: str, max_bytes: int) -> ImageResult:
        """An outside image through the SSRF-safe fetcher; refusals raise, remote failures report."""
        limit = min(max_bytes, self.settings.max_image_bytes) if max_bytes > 0 else self.settings.max_image_bytes
        try:
            fetched = await self.fetcher.fetch(url, max_bytes=limit, accept="image/*", require_type_prefix="image/")
        except FetchFailed as error:
            return ImageResult(success=False, error=str(error))
        kind = filetype.guess(fetched.data)
        if kind is None or kind.mime not in _IMAGE_MIME:
            raise InvalidArgument("the URL does not serve a supported image", reason="not_an_image", field="url")
        return ImageResult(success=True, data=fetched.data, content_type=kind.mime)

    async def _text_of(self, row: StoredObject, limit: int) -> str:
        """A document's parsed text, or a voice object's transcript (may be longer than limit)."""
        if row.kind == KIND_VOICE:
            return await self.transcripts.text_of(row)
        if row.format not in EXTRACTABLE:
            raise InvalidArgument(f"cannot extract text from .{row.format} files", reason="unsupported_format")
        # A temporary file, not memory: documents may be as large as the upload limit.
        with tempfile.TemporaryFile() as spool:
            async for chunk in self.backend.read(row.key):
                spool.write(chunk)
            spool.seek(0)
            return await self.extractor.extract(
                spool, fmt=row.format, name=row.name, content_type=row.content_type, max_chars=limit
            )

    async def extract_text(
        self, *, principal: Principal, object_ids: Sequence[str], max_chars: int, urls: Sequence[str] = ()
    ) -> AsyncIterator[ExtractEvent]:
        """Progress, text pieces and per-object errors for each object, in order."""
        limit = (
            min(max_chars, self.settings.files_extract_max_chars)
            if max_chars > 0
            else (self.settings.files_extract_max_chars)
        )
        total = len(object_ids)
        for index, raw_id in enumerate(object_ids):
            base = index * 100 // max(total, 1)
            done = (index + 1) * 100 // max(total, 1)
            try:
                row = await self.store.get(principal=principal, ref=Ref(id=parse_object_id(raw_id)))
            except MeshError as error:
                yield ExtractEvent("error", raw_id, reason=error.reason, message=error.message)
                continue
            yield ExtractEvent("progress", raw_id, row.name, stage="reading", percent=base)
            yield ExtractEvent("progress", raw_id, row.name, stage="parsing", percent=(base + done) // 2)
            try:
                text = await self._text_of(row, limit)
            except MeshError as error:
                yield ExtractEvent("error", raw_id, row.name, reason=error.reason, message=error.message)
                continue
            truncated = len(text) > limit
            text = text[:limit]
            for start in range(0, len(text), TEXT_PIECE_CHARS):
                piece = text[start : start + TEXT_PIECE_CHARS]
                last = start + TEXT_PIECE_CHARS >= len(text)
                yield ExtractEvent("text", raw_id, row.name, text=piece, truncated=truncated and last)
            yield ExtractEvent("progress", raw_id, row.name, stage="done", percent=done)
        for url in urls:
            pieces = extract_url(
                url,
                fetcher=self.fetcher,
                extractor=self.extractor,
                max_bytes=self.settings.max_file_bytes,
                max_chars=limit,
            )
            async for kind, name, value, message in pieces:
                if kind == "error":
                    yield ExtractEvent("error", url, name, reason=value, message=message)
                    continue
                for start in range(0, min(len(value), limit), TEXT_PIECE_CHARS):
                    piece = value[start : min(start + TEXT_PIECE_CHARS, limit)]
                    yield ExtractEvent("text", url, name, text=piece, truncated=len(value) > limit)
