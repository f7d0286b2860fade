"""TTS jobs on JetStream: completion with a readable URL, answers from the stored result, exactly-once storage."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import grpc
from meshconsole.files.v1 import files_pb2
from meshconsole.voice.v1 import voice_pb2 as V
from meshconsole.voice.v1 import voice_pb2_grpc

from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.testing.credentials import TEST_SECRET
from services.kit.testing.servers import NatsServer, free_port
from services.kit.workqueue import Task
from services.voice.audio.decode import AudioSpec, decode_audio
from tests.service.files_support import FilesEnv, md, read_all, start_files, stop_files
from tests.service.voice.conftest import VoiceEnv

ALICE = Principal(user_id=81, company_id=8)
BOB = Principal(user_id=91, company_id=9)
ROOT = Path(__file__).resolve().parents[3]


async def wait_job(
    stub: voice_pb2_grpc.VoiceServiceStub, job_id: str, principal: Principal, base: str = ""
) -> V.TtsJob:
    request = V.GetTtsJobRequest(job_id=job_id, public_base_url=base)
    for _ in range(2400):
        try:
            job = await stub.GetTtsJob(request, metadata=md(principal), timeout=5)
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.UNAVAILABLE:
                raise
        else:
            if job.status in (V.TTS_JOB_STATUS_SUCCEEDED, V.TTS_JOB_STATUS_FAILED):
                return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


async def stored_objects(files: FilesEnv, principal: Principal, job_id: str) -> list[files_pb2.ObjectInfo]:
    reply = await files.stub.ListObjects(files_pb2.ListObjectsRequest(prefix=f"tts/{job_id}/"), metadata=md(principal))
    return list(reply.objects)


async def test_a_job_completes_with_a_readable_mp3_and_identical_requests_reuse_it(voice: VoiceEnv) -> None:
    request = V.CreateTtsJobRequest(text="你好，我是小美，有什么能帮助您。", public_base_url="https://mesh.test")
    created = await voice.stub.CreateTtsJob(request, metadata=md(ALICE))
    assert created.status in (V.TTS_JOB_STATUS_PENDING, V.TTS_JOB_STATUS_RUNNING) and not created.url
    job = await wait_job(voice.stub, created.job_id, ALICE, "https://mesh.test")
    assert job.status == V.TTS_JOB_STATUS_SUCCEEDED and job.duration_ms > 1000, job
    assert job.url.startswith("https://mesh.test/files/download/")
    data = await read_all(voice.files, files_pb2.ReadObjectRequest(signed_token=job.url.rsplit("/", 1)[1]))
    assert data[:3] == b"ID3" or data[0] == 0xFF
    assert abs(len(decode_audio(data, AudioSpec("mp3"), max_s=60)) / 16 - job.duration_ms) < 200
    again = await voice.stub.CreateTtsJob(request, metadata=md(ALICE))
    assert again.job_id == job.job_id and again.status == V.TTS_JOB_STATUS_SUCCEEDED
    assert again.url.startswith("https://mesh.test/files/download/")
    assert len(await stored_objects(voice.files, ALICE, job.job_id)) == 1
    other = await voice.stub.CreateTtsJob(request, metadata=md(BOB))
    assert other.job_id != job.job_id  # per caller
    try:
        await voice.stub.GetTtsJob(V.GetTtsJobRequest(job_id=job.job_id), metadata=md(BOB))
        raise AssertionError("another tenant read the job")
    except grpc.aio.AioRpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_audio_stored_by_an_attempt_that_died_is_used_not_stored_again(voice: VoiceEnv) -> None:
    jobs = voice.process.jobs
    # A job recorded but not queued: this test delivers it to the handler itself.
    fields = {"text": "Good evening.", "voice": "", "encoding": "mp3", "language": ""}
    row, created = await jobs.store.get_or_create_job(principal=ALICE, key="k" * 64, fields=fields)
    assert created
    # An earlier attempt stored the audio, then died before recording it.
    data = b"".join([out.data async for out in _speech(voice, "Good evening.")])
    await jobs.peers.store_voice(principal=ALICE, folder=f"tts/{row.id}", name="speech.mp3", data=data)
    await jobs.run(Task("mesh.tasks.voice.tts", {"job_id": row.id}, {}, 2, 1, None, None))  # type: ignore[arg-type]
    await jobs.run(Task("mesh.tasks.voice.tts", {"job_id": row.id}, {}, 3, 1, None, None))  # type: ignore[arg-type]
    job = await voice.stub.GetTtsJob(V.GetTtsJobRequest(job_id=row.id), metadata=md(ALICE))
    assert job.status == V.TTS_JOB_STATUS_SUCCEEDED and job.duration_ms > 300
    assert [o.id for o in await stored_objects(voice.files, ALICE, row.id)] == [job.object_id]


def _speech(voice: VoiceEnv, text: str):  # type: ignore[no-untyped-def]
    from services.voice.synthesis import SynthesisSpec, synthesize

    return synthesize(voice.process.local_tts, SynthesisSpec(text=text, speed=1.0))


def _spawn(
    tmp_path: Path, nats_server: NatsServer, files: FilesEnv, port: int, whisper: Path
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESH_")}
    env.update(
        {
            "MESH_DATA_DIR": str(tmp_path / "worker"),
            "MESH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'voice-worker.db'}",
            "MESH_NATS_URL": nats_server.url,
            "MESH_FILES_ADDR": f"127.0.0.1:{files.process.port}",
            "MESH_CHAT_ADDR": f"127.0.0.1:{free_port()}",
            "MESH_GRPC_PORT": str(port),
            "MESH_VOICE_REGISTRY": "false",
            "MESH_VOICE_WHISPER_MODEL_DIR": str(whisper),
            "MESH_VOICE_ACK_WAIT_S": "3",
            "MESH_VOICE_MAX_TTS_CHARS": "5000",
            "MESH_LOG_LEVEL": "WARNING",
            # The worker's mesh keys derive from it: the same keys as this process's (security_for_tests).
            "MESH_SECRET_KEY": TEST_SECRET,
        }
    )
    log = open(tmp_path / f"voice-{port}.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "services.voice"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )


async def test_a_worker_killed_mid_job_completes_it_after_restart_exactly_once(
    tmp_path: Path, nats_server: NatsServer, whisper_dir: Path
) -> None:
    files = await start_files(tmp_path / "files", f"sqlite+aiosqlite:///{tmp_path / 'files.db'}", nats_server)
    port = free_port()
    worker = _spawn(tmp_path, nats_server, files, port, whisper_dir)
    channel = grpc_client.create_channel(f"127.0.0.1:{port}")
    stub = voice_pb2_grpc.VoiceServiceStub(channel)
    text = " ".join(f"Paragraph {n} tells how the keeper lit the lamp before the storm arrived." for n in range(40))
    try:
        created = None
        for _ in range(600):  # until the worker serves
            try:
                created = await stub.CreateTtsJob(V.CreateTtsJobRequest(text=text), metadata=md(ALICE), timeout=5)
                break
            except grpc.aio.AioRpcError as error:
                assert error.code() == grpc.StatusCode.UNAVAILABLE, error
                assert worker.poll() is None, (tmp_path / f"voice-{port}.log").read_text()[-2000:]
                await asyncio.sleep(0.1)
        assert created is not None
        for _ in range(1200):  # until it is synthesizing
            job = await stub.GetTtsJob(V.GetTtsJobRequest(job_id=created.job_id), metadata=md(ALICE), timeout=5)
            if job.status == V.TTS_JOB_STATUS_RUNNING:
                break
            await asyncio.sleep(0.05)
        assert job.status == V.TTS_JOB_STATUS_RUNNING, job
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        assert await stored_objects(files, ALICE, created.job_id) == []  # killed before it stored anything
        worker = _spawn(tmp_path, nats_server, files, port, whisper_dir)
        job = await wait_job(stub, created.job_id, ALICE)
        assert job.status == V.TTS_JOB_STATUS_SUCCEEDED, job
        assert [o.id for o in await stored_objects(files, ALICE, created.job_id)] == [job.object_id]
        again = await stub.CreateTtsJob(V.CreateTtsJobRequest(text=text), metadata=md(ALICE), timeout=5)
        assert again.job_id == created.job_id and again.status == V.TTS_JOB_STATUS_SUCCEEDED
    finally:
        await channel.close()
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
        for name in ("MESH_DLQ", "MESH_ADVISORIES"):
            try:
                await files.js.delete_stream(name)
            except Exception:
                pass
        await stop_files(files)
