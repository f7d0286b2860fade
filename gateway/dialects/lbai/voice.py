"""lbai voice: `/tts` (text to an .mp3, polled until its URL is ready) and the text parsed from a voice file."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from meshconsole.files.v1 import files_pb2
from meshconsole.voice.v1 import voice_pb2
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth import CurrentPrincipal
from gateway.clients import ServiceClients
from gateway.deps import Clients
from gateway.dialects.lbai.envelope import PREFIX, ok
from gateway.dialects.lbai.schemas import LbaiEnvelope, SpeechUrl, VoiceInfo
from gateway.uploads import public_base_url, upload_limits
from services.kit import grpc_client
from services.kit.errors import FailedPrecondition, InvalidArgument, NotFound

router = APIRouter(prefix=PREFIX)
MESSAGE_MAX_CHARS = 10_000
_PARSE_STATUS = {"none": 0, "queued": 1, "done": 2, "failed": 3}
_READ_TIMEOUT_S = 30.0


class SpeechBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message: str = Field(min_length=1, max_length=MESSAGE_MAX_CHARS, description="the text to speak (中文 or English)")


async def _audio_url(request: Request, clients: ServiceClients, job: voice_pb2.TtsJob) -> str:
    """A URL for the finished job's .mp3 that downloads through this gateway, valid as long as files allows."""
    limits = await upload_limits(clients)
    try:
        signed = await clients.call(
            clients.files.PresignUrl,
            files_pb2.PresignUrlRequest(
                ref=files_pb2.ObjectRef(id=job.object_id),
                expires_seconds=limits.max_presign_seconds,
                public_base_url=public_base_url(request),
            ),
        )
    except NotFound:
        return str(job.url)  # stored under another owner than the caller: the job's own URL still works
    return str(signed.url)


@router.post("/tts", response_model=LbaiEnvelope[SpeechUrl])
async def text_to_speech(request: Request, principal: CurrentPrincipal, clients: Clients, body: SpeechBody) -> Any:
    """Speak `message` as an .mp3. The first call queues the job and answers url ""; poll with the same message
    until the url is set. A message spoken before answers from the stored audio at once."""
    if not body.message.strip():
        raise InvalidArgument("message must not be empty", field="message")
    create = voice_pb2.CreateTtsJobRequest(
        text=body.message, encoding=voice_pb2.AUDIO_ENCODING_MP3, public_base_url=public_base_url(request)
    )
    try:
        job = await clients.call(clients.voice.CreateTtsJob, create)
    except InvalidArgument as error:
        raise InvalidArgument(error.message, reason=error.reason, field="message") from None
    if job.status == voice_pb2.TTS_JOB_STATUS_FAILED:
        raise FailedPrecondition(
            f"the text could not be spoken: {job.error or 'synthesis failed'}", reason="tts_failed"
        )
    if job.status != voice_pb2.TTS_JOB_STATUS_SUCCEEDED:
        return ok({"url": ""})
    return ok({"url": await _audio_url(request, clients, job)})


async def _transcript(clients: ServiceClients, object_id: str) -> str:
    """A voice file's stored transcript, read through files (the same text retrieval indexes)."""
    pieces: list[str] = []
    request = files_pb2.ExtractTextRequest(object_ids=[object_id])
    events = grpc_client.server_stream(
        clients.files.ExtractText, request, timeout_s=_READ_TIMEOUT_S, idle_timeout_s=_READ_TIMEOUT_S
    )
    async for event in events:
        which = event.WhichOneof("event")
        if which == "text":
            pieces.append(event.text.text)
        elif which == "error":
            raise FailedPrecondition(event.error.message, reason=event.error.reason)
    return "".join(pieces)


@router.get("/trainingSpace/voiceInfo", response_model=LbaiEnvelope[VoiceInfo])
async def voice_info(
    request: Request,
    principal: CurrentPrincipal,
    clients: Clients,
    fileId: str = Query(min_length=1, max_length=32, description="the fileId /trainingSpace/addVoice answered"),
) -> Any:
    """A voice file from /trainingSpace/addVoice and the text parsed from it (voiceType 2): poll until
    parseStatus is 2 (done) or 3 (failed)."""
    limits = await upload_limits(clients)
    info = await clients.call(
        clients.files.GetObject,
        files_pb2.GetObjectRequest(
            ref=files_pb2.ObjectRef(id=fileId.strip()),
            include_url=True,
            expires_seconds=limits.max_presign_seconds,
            public_base_url=public_base_url(request),
        ),
    )
    if info.kind != files_pb2.OBJECT_KIND_VOICE:
        raise InvalidArgument("fileId is not a voice file", reason="not_voice", field="fileId")
    status = _PARSE_STATUS.get(info.transcript_status, 0)
    text = await _transcript(clients, info.id) if status == 2 else None
    data = {
        "fileId": info.id,
        "fileName": info.name,
        "fileUrl": info.url,
        "format": info.format,
        "durationMs": info.duration_ms,
        "parseStatus": status,
        "text": text,
        "errorMessage": (info.transcript_error or "transcription failed") if status == 3 else None,
    }
    return ok(data)
