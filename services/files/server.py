"""gRPC servicer for files: translates proto messages to domain calls and back, nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from google.protobuf import timestamp_pb2
from meshconsole.common.v1 import common_pb2
from meshconsole.files.v1 import files_pb2, files_pb2_grpc

from services.files.models import StoredObject
from services.files.service import ExtractEvent, FilesService, Presigned
from services.files.store import Ref
from services.files.transcripts import TranscriptResult
from services.files.uploads import UploadSpec
from services.kit import mesh_tokens
from services.kit.clock import as_utc
from services.kit.context import principal_var, require_principal
from services.kit.errors import InvalidArgument, NotFound, PermissionDenied, Unauthenticated

RESOURCES_INDEX = "_mesh_resources"
VOICE = "voice"
_MAX_REFS = 1000


_caller = require_principal


def _require_voice_caller() -> None:
    """Transcripts come from the voice service: its own credential, or a gateway one it forwards for the user."""
    credential = mesh_tokens.credential_var.get()
    if credential is None:
        raise Unauthenticated("no mesh credential", reason="unauthorized")
    if credential.caller != VOICE and not (credential.kind == mesh_tokens.GATEWAY and VOICE in credential.audience):
        raise PermissionDenied("only the voice service stores transcripts", reason="voice_only")


def _timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    moment = as_utc(value)
    if moment is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def to_ref(ref: files_pb2.ObjectRef) -> Ref:
    """A proto ref as a store ref; a malformed id matches nothing."""
    which = ref.WhichOneof("ref")
    if which == "id":
        text = ref.id.strip()
        return Ref(id=int(text) if text.isdigit() and len(text) <= 18 else -1)
    if which == "object_name":
        return Ref(object_name=ref.object_name[:512])
    raise InvalidArgument("name the object by id or object_name", field="ref")


def _refs(refs: Any) -> list[Ref]:
    if len(refs) > _MAX_REFS:
        raise InvalidArgument(f"at most {_MAX_REFS} objects per call", field="refs")
    return [to_ref(r) for r in refs]


def object_info(row: StoredObject, presigned: Presigned | None = None) -> files_pb2.ObjectInfo:
    info = files_pb2.ObjectInfo(
        id=str(row.id),
        object_name=row.object_name,
        name=row.name,
        folder=row.folder,
        kind=row.kind,  # type: ignore[arg-type]
        content_type=row.content_type,
        format=row.format,
        size=row.size,
        sha256=row.sha256,
        cloud_space=row.cloud_space,
        ingest_task_id=row.ingest_task_id,
        ingest_index_name=row.ingest_index_name,
        user_id=row.user_id,
        created_at=_timestamp(row.created_at),
        parse_status=row.parse_status,
        transcribe_task_id=row.transcribe_task_id,
        transcript_status=row.transcript_status,
        duration_ms=row.duration_ms,
        transcript_error=row.transcript_error,
    )
    if presigned is not None:
        info.url = presigned.url
        info.url_expires_at.CopyFrom(_timestamp(presigned.expires_at))
    return info


def _event(event: ExtractEvent) -> files_pb2.ExtractTextEvent:
    if event.kind == "progress":
        progress = files_pb2.ExtractProgress(
            object_id=event.object_id, filename=event.filename, stage=event.stage, percent=event.percent
        )
        return files_pb2.ExtractTextEvent(progress=progress)
    if event.kind == "text":
        text = files_pb2.ExtractedText(
            object_id=event.object_id, filename=event.filename, text=event.text, truncated=event.truncated
        )
        return files_pb2.ExtractTextEvent(text=text)
    error = files_pb2.ExtractError(
        object_id=event.object_id, filename=event.filename, reason=event.reason, message=event.message
    )
    return files_pb2.ExtractTextEvent(error=error)


class FilesServicer(files_pb2_grpc.FilesServiceServicer):
    """Thin adapter over FilesService."""

    def __init__(self, service: FilesService) -> None:
        self.service = service

    async def PutObject(self, request_iterator: Any, context: Any) -> files_pb2.ObjectInfo:
        messages = request_iterator.__aiter__()
        first = await anext(messages, None)
        if first is None or first.WhichOneof("part") != "header":
            raise InvalidArgument("the first message must be the header", field="header")
        header = first.header
        ingest = header.ingest if header.HasField("ingest") else None
        spec = UploadSpec(
            name=header.name,
            folder=header.folder,
            kind=int(header.kind),
            size=header.size,
            cloud_space=header.cloud_space,
            ingest_index=(ingest.index_name or RESOURCES_INDEX) if ingest is not None else None,
            chunking_strategy=ingest.chunking_strategy if ingest is not None else "",
            transcribe=header.transcribe,
            sha256=header.sha256,
            allowed_formats=tuple(header.allowed_formats),
            unsupported_field=header.unsupported_field or "file",
        )

        async def chunks() -> AsyncIterator[bytes]:
            async for message in messages:
                if message.WhichOneof("part") != "data":
                    raise InvalidArgument("only the first message may be a header", field="header")
                yield message.data

        row = await self.service.put_object(principal=_caller(), spec=spec, chunks=chunks())
        signed = self.service.presign_row(row, expires_s=0, download=False, public_base_url=header.public_base_url)
        return object_info(row, signed)

    async def GetObject(self, request: files_pb2.GetObjectRequest, context: Any) -> files_pb2.ObjectInfo:
        row = await self.service.get_object(principal=_caller(), ref=to_ref(request.ref))
        signed = None
        if request.include_url:
            signed = self.service.presign_row(
                row, expires_s=request.expires_seconds, download=False, public_base_url=request.public_base_url
            )
        return object_info(row, signed)

    async def ReadObject(
        self, request: files_pb2.ReadObjectRequest, context: Any
    ) -> AsyncIterator[files_pb2.ReadObjectResponse]:
        target = request.WhichOneof("target")
        principal = principal_var.get()
        if target != "signed_token" and principal is None:
            raise Unauthenticated("no principal in call metadata", reason="unauthorized")
        row, attachment, stream = await self.service.open_object(
            principal=principal,
            ref=to_ref(request.ref) if target == "ref" else None,
            signed_token=request.signed_token if target == "signed_token" else "",
            offset=request.offset,
            length=request.length,
        )
        try:
            first = await anext(stream, None)
        except FileNotFoundError:
            raise NotFound("the file's content is missing", reason="file_content_missing") from None
        yield files_pb2.ReadObjectResponse(info=object_info(row), attachment=attachment)
        if first is not None:
            yield files_pb2.ReadObjectResponse(data=first)
            async for chunk in stream:
                yield files_pb2.ReadObjectResponse(data=chunk)

    async def ListObjects(self, request: files_pb2.ListObjectsRequest, context: Any) -> files_pb2.ListObjectsResponse:
        page = request.page.page or 1
        limit = request.page.limit or 20
        rows, total = await self.service.list_objects(
            principal=_caller(),
            prefix=request.prefix,
            kind=int(request.kind),
            cloud_space_only=request.cloud_space_only,
            page=page,
            limit=limit,
        )
        infos = []
        for row in rows:
            signed = None
            if request.include_urls:
                signed = self.service.presign_row(
                    row, expires_s=request.expires_seconds, download=False, public_base_url=request.public_base_url
                )
            infos.append(object_info(row, signed))
        info = common_pb2.PageInfo(page=page, limit=limit, total=total, has_more=page * limit < total)
        return files_pb2.ListObjectsResponse(objects=infos, page=info)

    async def DeleteObjects(
        self, request: files_pb2.DeleteObjectsRequest, context: Any
    ) -> files_pb2.DeleteObjectsResponse:
        rows = await self.service.delete_objects(principal=_caller(), refs=_refs(request.refs))
        return files_pb2.DeleteObjectsResponse(deleted_count=len(rows), deleted_ids=[str(r.id) for r in rows])

    async def PresignUrl(self, request: files_pb2.PresignUrlRequest, context: Any) -> files_pb2.PresignedUrl:
        row, signed = await self.service.presign(
            principal=_caller(),
            ref=to_ref(request.ref),
            expires_s=request.expires_seconds,
            download=request.download,
            public_base_url=request.public_base_url,
        )
        return files_pb2.PresignedUrl(
            object_id=str(row.id), object_name=row.object_name, url=signed.url, expires_at=_timestamp(signed.expires_at)
        )

    async def BatchPresign(
        self, request: files_pb2.BatchPresignRequest, context: Any
    ) -> files_pb2.BatchPresignResponse:
        results = await self.service.batch_presign(
            principal=_caller(),
            refs=_refs(request.refs),
            expires_s=request.expires_seconds,
            download=request.download,
            public_base_url=request.public_base_url,
        )
        entries = []
        for ref, row, outcome in results:
            asked = ref.object_name if ref.object_name is not None else str(ref.id)
            if row is None or isinstance(outcome, str):
                entries.append(files_pb2.BatchPresignEntry(object_name=asked, success=False, error=str(outcome)))
            else:
                entries.append(
                    files_pb2.BatchPresignEntry(
                        object_name=row.object_name, object_id=str(row.id), success=True, url=outcome.url
                    )
                )
        return files_pb2.BatchPresignResponse(urls=entries)

    async def FetchImage(self, request: files_pb2.FetchImageRequest, context: Any) -> files_pb2.FetchImageResponse:
        _caller()
        result = await self.service.fetch_image(url=request.url, max_bytes=request.max_bytes)
        return files_pb2.FetchImageResponse(
            success=result.success, data=result.data, content_type=result.content_type, error=result.error
        )

    async def ExtractText(
        self, request: files_pb2.ExtractTextRequest, context: Any
    ) -> AsyncIterator[files_pb2.ExtractTextEvent]:
        if len(request.object_ids) + len(request.urls) > 100:
            raise InvalidArgument("at most 100 objects per call", field="object_ids")
        events = self.service.extract_text(
            principal=_caller(),
            object_ids=list(request.object_ids),
            max_chars=request.max_chars,
            urls=list(request.urls),
        )
        async for event in events:
            yield _event(event)

    async def SetTranscript(self, request: files_pb2.SetTranscriptRequest, context: Any) -> files_pb2.ObjectInfo:
        _require_voice_caller()
        result = TranscriptResult(
            text=request.text, language=request.language, duration_ms=request.duration_ms, error=request.error
        )
        row = await self.service.transcripts.set(principal=_caller(), object_id=request.object_id, result=result)
        return object_info(row)

    async def GetLimits(self, request: common_pb2.Empty, context: Any) -> files_pb2.Limits:
        limits = self.service.limits()
        return files_pb2.Limits(
            max_file_bytes=limits.max_file_bytes,
            max_image_bytes=limits.max_image_bytes,
            max_voice_bytes=limits.max_voice_bytes,
            max_images_per_message=limits.max_images_per_message,
            max_files_per_upload=limits.max_files_per_upload,
            max_presign_seconds=limits.max_presign_seconds,
            file_formats=list(limits.file_formats),
            image_formats=list(limits.image_formats),
            voice_formats=list(limits.voice_formats),
        )
