"""gRPC servicer for voice: translates proto messages to domain calls and back, nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from google.protobuf import timestamp_pb2
from meshconsole.voice.v1 import voice_pb2, voice_pb2_grpc

from services.kit.clock import as_utc
from services.kit.context import require_principal
from services.kit.errors import InvalidArgument
from services.voice.audio import decode
from services.voice.audio.encode import MP3_OUT, PCM16_OUT, WAV_OUT
from services.voice.engines.base import SttResult
from services.voice.engines.selection import Engines
from services.voice.jobs import JobView, TtsJobs
from services.voice.models import FAILED, PENDING, RUNNING, SUCCEEDED
from services.voice.synthesis import SynthesisSpec, check_synthesis, synthesize
from services.voice.transcription import Transcriber

V = voice_pb2
INPUTS = {
    V.AUDIO_ENCODING_UNSPECIFIED: decode.AUTO,
    V.AUDIO_ENCODING_PCM_S16LE: decode.PCM16,
    V.AUDIO_ENCODING_WAV: decode.WAV,
    V.AUDIO_ENCODING_MP3: decode.MP3,
    V.AUDIO_ENCODING_OGG_OPUS: decode.OGG,
    V.AUDIO_ENCODING_WEBM_OPUS: decode.WEBM,
    V.AUDIO_ENCODING_FLAC: decode.FLAC,
}
OUTPUTS = {
    V.AUDIO_ENCODING_UNSPECIFIED: MP3_OUT,
    V.AUDIO_ENCODING_PCM_S16LE: PCM16_OUT,
    V.AUDIO_ENCODING_WAV: WAV_OUT,
    V.AUDIO_ENCODING_MP3: MP3_OUT,
}
OUTPUT_ENUMS = {PCM16_OUT: V.AUDIO_ENCODING_PCM_S16LE, WAV_OUT: V.AUDIO_ENCODING_WAV, MP3_OUT: V.AUDIO_ENCODING_MP3}
STATUSES = {
    PENDING: V.TTS_JOB_STATUS_PENDING,
    RUNNING: V.TTS_JOB_STATUS_RUNNING,
    SUCCEEDED: V.TTS_JOB_STATUS_SUCCEEDED,
    FAILED: V.TTS_JOB_STATUS_FAILED,
}


def _timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(as_utc(value))
    return stamp


def output_encoding(value: int) -> str:
    if value not in OUTPUTS:
        raise InvalidArgument(
            "speech can be produced as pcm16, wav or mp3", reason="unsupported_format", field="encoding"
        )
    return OUTPUTS[value]


def transcript(object_id: str, result: SttResult) -> voice_pb2.Transcript:
    return voice_pb2.Transcript(
        object_id=object_id,
        text=result.text,
        language=result.language,
        duration_ms=result.duration_ms,
        segments=[V.TranscriptSegment(text=s.text, start_ms=s.start_ms, end_ms=s.end_ms) for s in result.segments],
    )


def tts_job(view: JobView) -> voice_pb2.TtsJob:
    row = view.row
    return voice_pb2.TtsJob(
        job_id=row.id,
        status=STATUSES.get(row.status, V.TTS_JOB_STATUS_UNSPECIFIED),
        object_id=row.object_id if row.status == SUCCEEDED else "",
        url=view.url,
        duration_ms=row.duration_ms,
        error=row.error,
        created_at=_timestamp(row.created_at),
        updated_at=_timestamp(row.updated_at),
    )


class VoiceServicer(voice_pb2_grpc.VoiceServiceServicer):
    """Thin adapter over the transcriber, the engines and the TTS jobs."""

    def __init__(self, *, transcriber: Transcriber, engines: Engines, jobs: TtsJobs, max_tts_chars: int) -> None:
        self.transcriber = transcriber
        self.engines = engines
        self.jobs = jobs
        self.max_tts_chars = max_tts_chars

    async def Transcribe(self, request_iterator: Any, context: Any) -> AsyncIterator[voice_pb2.TranscriptEvent]:
        principal = require_principal()
        messages = request_iterator.__aiter__()
        first = await anext(messages, None)
        if first is None or first.WhichOneof("item") != "config":
            raise InvalidArgument("the first message must be the config", reason="config_required", field="config")
        config = first.config
        if config.encoding not in INPUTS:
            raise InvalidArgument(
                f"unknown audio encoding {config.encoding}", reason="unsupported_format", field="config.encoding"
            )
        spec = decode.AudioSpec(INPUTS[config.encoding], config.sample_rate_hz, config.channels)

        async def chunks() -> AsyncIterator[bytes]:
            async for message in messages:
                if message.WhichOneof("item") != "audio":
                    raise InvalidArgument("only the first message may be the config", field="config")
                yield message.audio.data

        events = self.transcriber.stream(
            principal=principal,
            spec=spec,
            language=config.language,
            interim=config.interim_results,
            chunks=chunks(),
        )
        async for event in events:
            yield voice_pb2.TranscriptEvent(
                text=event.text,
                is_final=event.is_final,
                start_ms=event.start_ms,
                end_ms=event.end_ms,
                language=event.language,
            )

    async def TranscribeFile(self, request: voice_pb2.TranscribeFileRequest, context: Any) -> voice_pb2.Transcript:
        result = await self.transcriber.file(
            principal=require_principal(), object_id=request.object_id, language=request.language
        )
        return transcript(request.object_id.strip(), result)

    async def Synthesize(
        self, request: voice_pb2.SynthesizeRequest, context: Any
    ) -> AsyncIterator[voice_pb2.AudioChunk]:
        principal = require_principal()
        spec = check_synthesis(
            SynthesisSpec(
                text=request.text,
                voice=request.voice,
                encoding=output_encoding(request.encoding),
                sample_rate=request.sample_rate_hz,
                language=request.language,
                speed=request.speed,
            ),
            max_chars=self.max_tts_chars,
        )
        engine = await self.engines.tts(principal)
        sequence = 0
        async for out in synthesize(engine, spec):
            yield voice_pb2.AudioChunk(
                data=out.data,
                encoding=OUTPUT_ENUMS[spec.encoding],
                sample_rate_hz=out.sample_rate,
                channels=1,
                sequence=sequence,
            )
            sequence += 1

    async def CreateTtsJob(self, request: voice_pb2.CreateTtsJobRequest, context: Any) -> voice_pb2.TtsJob:
        spec = SynthesisSpec(
            text=request.text,
            voice=request.voice,
            encoding=output_encoding(request.encoding),
            language=request.language,
        )
        view = await self.jobs.create(principal=require_principal(), spec=spec, public_base_url=request.public_base_url)
        return tts_job(view)

    async def GetTtsJob(self, request: voice_pb2.GetTtsJobRequest, context: Any) -> voice_pb2.TtsJob:
        view = await self.jobs.get(
            principal=require_principal(), job_id=request.job_id, public_base_url=request.public_base_url
        )
        return tts_job(view)
