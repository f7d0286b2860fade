"""Pipeline faults on a real nats-server: poison messages dead-letter, retries end FAILED, a killed worker resumes."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import orjson
import pytest_asyncio
from meshconsole.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc
from nats.js.api import ConsumerConfig, DeliverPolicy

from services.kit import grpc_client
from services.kit.testing.credentials import TEST_SECRET
from services.kit.testing.servers import NatsServer, free_port
from services.retrieval.app import build_retrieval
from services.retrieval.pipeline.queue import INGEST_SUBJECT, INTAKE_DLQ, RUN_DLQ, RUN_SUBJECT
from tests.service.files_support import ALICE, FilesEnv, md, put, start_files, stop_files
from tests.service.test_retrieval_service import retrieval_settings

R = retrieval_pb2
ROOT = Path(__file__).resolve().parents[2]


@pytest_asyncio.fixture(loop_scope="session", name="files")
async def files_fixture(tmp_path: Path, nats_server: NatsServer) -> AsyncIterator[FilesEnv]:
    env = await start_files(tmp_path / "files", f"sqlite+aiosqlite:///{tmp_path / 'files.db'}", nats_server)
    try:
        yield env
    finally:
        js = env.js
        await stop_files(env)
        for name in ("MESH_DLQ", "MESH_ADVISORIES"):
            try:
                await js.delete_stream(name)
            except Exception:
                pass


async def _dead_letters(files: FilesEnv, subject: str, count: int) -> list[dict[str, str]]:
    js = files.js
    sub = await js.pull_subscribe(subject, stream="MESH_DLQ", config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL))
    found: list[dict[str, str]] = []
    for _ in range(50):
        try:
            msgs = await sub.fetch(count - len(found), timeout=0.5)
        except TimeoutError:
            continue
        for msg in msgs:
            found.append({**(msg.headers or {}), "data": msg.data.decode(errors="replace")})
            await msg.ack()
        if len(found) >= count:
            break
    await sub.unsubscribe()
    return found


async def test_poison_messages_reach_the_dead_letter_subjects(
    files: FilesEnv, tmp_path: Path, nats_server: NatsServer
) -> None:
    process = await build_retrieval(retrieval_settings(tmp_path, nats_server, files), address="127.0.0.1:0")
    try:
        await files.js.publish(INGEST_SUBJECT, b"{not json")
        await files.js.publish(INGEST_SUBJECT, orjson.dumps({"task_id": "t1"}))  # no file, no owner
        await files.js.publish(RUN_SUBJECT, orjson.dumps({"task_id": "never-recorded"}))
        intake = await _dead_letters(files, INTAKE_DLQ, 2)
        assert [d["data"] for d in intake] == ["{not json", '{"task_id":"t1"}']
        assert {d["X-Dead-Letter-Reason"] for d in intake} == {"permanent_failure"}
        run = await _dead_letters(files, RUN_DLQ, 1)
        assert "never-recorded" in run[0]["data"] and run[0]["X-Dead-Letter-Subject"] == RUN_SUBJECT
    finally:
        for hook in process.on_shutdown:
            await hook()


async def test_a_task_that_keeps_failing_ends_failed_after_max_deliver(
    files: FilesEnv, tmp_path: Path, nats_server: NatsServer
) -> None:
    # files is unreachable from this worker: every attempt fails with UNAVAILABLE, a transient error.
    settings = retrieval_settings(
        tmp_path, nats_server, files, files_addr=f"127.0.0.1:{free_port()}", grpc_deadline_s=1.0
    )
    process = await build_retrieval(settings, address="127.0.0.1:0")
    await process.server.start()
    channel = grpc_client.create_channel(f"127.0.0.1:{process.port}")
    stub = retrieval_pb2_grpc.RetrievalServiceStub(channel)
    try:
        task = await stub.CreateTask(
            R.CreateTaskRequest(source=R.TaskSource(source="123", index_name="kb")), metadata=md(ALICE)
        )
        for _ in range(300):
            task = await stub.GetTask(R.GetTaskRequest(task_id=task.id), metadata=md(ALICE))
            if task.status == R.TASK_STATUS_FAILED:
                break
            await asyncio.sleep(0.1)
        assert task.status == R.TASK_STATUS_FAILED and task.attempts == 3 and task.error
    finally:
        await channel.close()
        await process.server.stop(0)
        for hook in process.on_shutdown:
            await hook()


def _spawn(tmp_path: Path, nats_server: NatsServer, files: FilesEnv, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESH_")}
    env.update(
        {
            "MESH_DATA_DIR": str(tmp_path / "worker"),
            "MESH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'w.db'}",
            "MESH_NATS_URL": nats_server.url,
            "MESH_FILES_ADDR": f"127.0.0.1:{files.process.port}",
            "MESH_CHAT_ADDR": f"127.0.0.1:{free_port()}",
            "MESH_GRPC_PORT": str(port),
            "MESH_RETRIEVAL_REGISTRY_EMBEDDINGS": "false",
            "MESH_RETRIEVAL_ACK_WAIT_S": "3",
            "MESH_RETRIEVAL_CHUNK_SIZE": "200",
            "MESH_RETRIEVAL_CHUNK_OVERLAP": "0",
            "MESH_LOG_LEVEL": "WARNING",
            # The worker's mesh keys derive from it: the same keys as this process's (security_for_tests).
            "MESH_SECRET_KEY": TEST_SECRET,
        }
    )
    log = open(tmp_path / f"worker-{port}.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "services.retrieval"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )


def _stored_chunks(tmp_path: Path) -> int:
    """Chunks written so far; 0 while a worker has created the database file but not yet its tables."""
    total = 0
    for db in (tmp_path / "worker" / "retrieval").glob("*/chunks.sqlite"):
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chunks'").fetchone():
                total += conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
    return total


async def test_a_worker_killed_mid_task_finishes_it_after_restart_without_duplicates(
    files: FilesEnv, tmp_path: Path, nats_server: NatsServer
) -> None:
    sentences = [f"Sentence {i} tells about the migration of the arctic tern number {i}." for i in range(400)]
    port = free_port()
    worker = _spawn(tmp_path, nats_server, files, port)
    channel = grpc_client.create_channel(f"127.0.0.1:{port}")
    stub = retrieval_pb2_grpc.RetrievalServiceStub(channel)
    try:
        info = await put(files, ALICE, " ".join(sentences).encode(), "terns.txt", ingest=retrieval_intent("birds"))
        for _ in range(600):  # the first batches are written, the task is not done
            if _stored_chunks(tmp_path) >= 32:
                break
            assert worker.poll() is None, (tmp_path / f"worker-{port}.log").read_text()[-2000:]
            await asyncio.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        partial = _stored_chunks(tmp_path)
        assert partial >= 32
        worker = _spawn(tmp_path, nats_server, files, port)
        task = None
        for _ in range(1200):
            try:
                task = await stub.GetTask(
                    R.GetTaskRequest(task_id=info.ingest_task_id, include_results=True), metadata=md(ALICE), timeout=2
                )
            except grpc.aio.AioRpcError:
                task = None
            if task is not None and task.status in (R.TASK_STATUS_COMPLETED, R.TASK_STATUS_FAILED):
                break
            await asyncio.sleep(0.1)
        assert task is not None and task.status == R.TASK_STATUS_COMPLETED, task
        assert task.attempts >= 2 and partial < task.chunks_indexed
        assert _stored_chunks(tmp_path) == task.chunks_indexed  # no chunk written twice
    finally:
        await channel.close()
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)


def retrieval_intent(index: str):  # type: ignore[no-untyped-def]
    from meshconsole.files.v1 import files_pb2

    return files_pb2.IngestIntent(index_name=index)
