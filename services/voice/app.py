"""Assembles the voice process: DB, engines and worker pools, NATS consumers (TTS jobs, transcription tasks), gRPC."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import structlog
from meshconsole.voice.v1 import voice_pb2, voice_pb2_grpc
from nats.aio.client import Client

from services.kit import nats as mesh_nats
from services.kit.context import Principal
from services.kit.db import create_engine, create_session_factory, migrate
from services.kit.grpc_server import HealthRegistry, ServiceBinding, create_server
from services.kit.mesh_tokens import MeshSecurity
from services.voice.config import VoiceSettings
from services.voice.engines.local_tts import LocalTts
from services.voice.engines.selection import Engines
from services.voice.engines.whisper import WhisperStt
from services.voice.engines.whisper_model import ensure_base_model
from services.voice.jobs import TTS_DURABLE, TTS_SUBJECT, TtsJobs
from services.voice.migrations import MIGRATIONS
from services.voice.peers import Peers, SpeechEndpoint
from services.voice.pool import WorkerPool
from services.voice.server import VoiceServicer
from services.voice.store import VoiceStore
from services.voice.tasks import TRANSCRIBE_DURABLE, TRANSCRIBE_SUBJECT, TranscribeTasks
from services.voice.transcription import Transcriber

log = structlog.get_logger(__name__)
SERVICE_NAME = voice_pb2.DESCRIPTOR.services_by_name["VoiceService"].full_name


@dataclass
class VoiceProcess:
    server: grpc.aio.Server
    port: int
    health: HealthRegistry
    stt_pool: WorkerPool
    tts_pool: WorkerPool
    local_stt: WhisperStt
    local_tts: LocalTts
    engines: Engines
    jobs: TtsJobs
    tasks: TranscribeTasks
    nats: Client
    consumers: list[mesh_nats.WorkQueueConsumer]
    warming: asyncio.Task[None] | None = None
    on_shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


def whisper_dir(settings: VoiceSettings) -> Callable[[], Path]:
    """MESH_VOICE_WHISPER_MODEL_DIR as given, else Whisper base reassembled under the data dir."""
    if settings.voice_whisper_model_dir:
        return lambda: Path(settings.voice_whisper_model_dir)
    return lambda: ensure_base_model(settings.voice_dir() / "whisper-base")


def pools(settings: VoiceSettings) -> tuple[WorkerPool, WorkerPool]:
    """(transcription pool, synthesis pool): a long file never holds up speech synthesis."""
    stt = WorkerPool(
        workers=settings.voice_workers,
        queue=settings.voice_queue,
        max_streams=settings.voice_max_streams,
        retry_after_s=settings.voice_retry_after_s,
    )
    tts = WorkerPool(workers=1, queue=settings.voice_queue, max_streams=1, retry_after_s=settings.voice_retry_after_s)
    return stt, tts


async def build_voice(
    settings: VoiceSettings,
    *,
    address: str,
    consume: bool = True,
    warm: bool = True,
    security: MeshSecurity | None = None,
) -> VoiceProcess:
    """Migrate, wire engines, NATS and peers, start the consumers; returns an unstarted server (models warm behind)."""
    db = create_engine(settings.database_url_for("voice"))
    await migrate(db, service="voice", migrations=MIGRATIONS)
    store = VoiceStore(create_session_factory(db))
    stt_pool, tts_pool = pools(settings)
    local_stt = WhisperStt(
        model_dir=whisper_dir(settings),
        pool=stt_pool,
        threads=settings.voice_whisper_threads,
        compute_type=settings.voice_whisper_compute_type,
        beam_size=settings.voice_whisper_beam_size,
        detect_languages=settings.detect_languages(),
        partial_interval_s=settings.voice_partial_interval_s,
    )
    local_tts = LocalTts(
        pool=tts_pool,
        voices_dir=settings.voice_piper_voices_dir,
        english_voice=settings.voice_default_english_voice,
        mandarin_voice=settings.voice_default_mandarin_voice,
    )
    peers = Peers(
        files_addr=settings.files_addr,
        chat_addr=settings.chat_addr,
        deadline_s=settings.grpc_deadline_s,
        transfer_timeout_s=max(60.0, settings.grpc_deadline_s),
        security=security,
    )

    async def lookup(principal: Principal, kind: str) -> SpeechEndpoint | None:
        return await peers.speech_endpoint(principal=principal, model_type=kind)

    engines = Engines(settings=settings, local_stt=local_stt, local_tts=local_tts, lookup=lookup)
    transcriber = Transcriber(settings=settings, engines=engines, pool=stt_pool, store=store, peers=peers)
    nc = await mesh_nats.connect_nats(url=settings.nats_url, name="voice")
    js = nc.jetstream()
    await mesh_nats.ensure_tasks_stream(js)
    jobs = TtsJobs(settings=settings, store=store, engines=engines, peers=peers, pool=tts_pool, js=js)
    tasks = TranscribeTasks(store=store, transcriber=transcriber, peers=peers)
    common = {
        "max_deliver": settings.voice_max_deliver,
        "backoff": settings.voice_backoff_s,
        "ack_wait": settings.voice_ack_wait_s,
        "handler_timeout_s": settings.voice_task_timeout_s,
    }
    tasks_stream = mesh_nats.TASKS_STREAM
    consumers = [
        mesh_nats.WorkQueueConsumer(
            js,
            stream=tasks_stream,
            subject=TTS_SUBJECT,
            durable=TTS_DURABLE,
            handler=jobs.run,
            concurrency=settings.voice_job_workers,
            **common,  # type: ignore[arg-type]
        ),
        mesh_nats.WorkQueueConsumer(
            js,
            stream=tasks_stream,
            subject=TRANSCRIBE_SUBJECT,
            durable=TRANSCRIBE_DURABLE,
            handler=tasks.run,
            concurrency=settings.voice_job_workers,
            **common,  # type: ignore[arg-type]
        ),
        mesh_nats.WorkQueueConsumer(
            js,
            stream=mesh_nats.DLQ_STREAM,
            subject=f"{mesh_nats.DLQ_PREFIX}{tasks_stream}.{TTS_DURABLE}",
            durable="voice_tts_dlq",
            handler=jobs.dead_letter,
        ),
        mesh_nats.WorkQueueConsumer(
            js,
            stream=mesh_nats.DLQ_STREAM,
            subject=f"{mesh_nats.DLQ_PREFIX}{tasks_stream}.{TRANSCRIBE_DURABLE}",
            durable="voice_transcribe_dlq",
            handler=tasks.dead_letter,
        ),
    ]
    if consume:
        for consumer in consumers:
            await consumer.setup()
            consumer.start()
    servicer = VoiceServicer(
        transcriber=transcriber, engines=engines, jobs=jobs, max_tts_chars=settings.voice_max_tts_chars
    )
    health = HealthRegistry()
    binding = ServiceBinding(SERVICE_NAME, voice_pb2_grpc.add_VoiceServiceServicer_to_server, servicer)
    server, port = create_server(address, bindings=[binding], health=health, security=security)

    async def warm_models() -> None:
        # Reassembling and loading Whisper takes seconds: SERVING comes first, the first request may wait.
        try:
            await asyncio.to_thread(local_stt.load)
            await asyncio.to_thread(local_tts.warm)
            log.info("voice_models_warm")
        except Exception as error:  # the first request loads them again, and reports what fails
            log.warning("voice_warmup_failed", error=repr(error))

    warming = asyncio.create_task(warm_models()) if warm else None

    async def close() -> None:
        for consumer in consumers:
            await consumer.stop(grace_s=settings.shutdown_grace_s)
        if warming is not None and not warming.done():
            warming.cancel()
        await mesh_nats.drain_nats(nc)
        await engines.close()
        await peers.close()
        stt_pool.close()
        tts_pool.close()
        await db.dispose()

    log.info("voice_ready", engine=settings.voice_engine)
    return VoiceProcess(
        server=server,
        port=port,
        health=health,
        stt_pool=stt_pool,
        tts_pool=tts_pool,
        local_stt=local_stt,
        local_tts=local_tts,
        engines=engines,
        jobs=jobs,
        tasks=tasks,
        nats=nc,
        consumers=consumers if consume else [],
        warming=warming,
        on_shutdown=[close],
    )
