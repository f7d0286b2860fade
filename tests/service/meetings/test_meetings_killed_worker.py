"""A meetings process killed (SIGKILL) mid-transcription: after a restart the job resumes without redoing finished
chunks and without duplicate segments."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import grpc
from meshconsole.meetings.v1 import meetings_pb2_grpc

from services.kit import grpc_client
from services.kit.db import create_engine, create_session_factory
from services.kit.embedded import free_port
from services.kit.testing.credentials import TEST_SECRET
from services.kit.testing.servers import NatsServer
from services.meetings.models import ChunkStatus
from services.meetings.progress import Progress
from tests.service.files_support import FilesEnv
from tests.service.meetings.support import (
    ALICE,
    PeerServer,
    S,
    md,
    meeting_events,
    settled,
    transcript,
    voice_file,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[3]


def _spawn(
    tmp_path: Path, database_url: str, nats_server: NatsServer, files: FilesEnv, peers: PeerServer, port: int
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESH_")}
    env.update(
        {
            "MESH_DATA_DIR": str(tmp_path / "worker"),
            "MESH_DATABASE_URL": database_url,
            "MESH_NATS_URL": nats_server.url,
            "MESH_FILES_ADDR": f"127.0.0.1:{files.process.port}",
            "MESH_VOICE_ADDR": peers.address,
            "MESH_CHAT_ADDR": peers.address,
            "MESH_GRPC_PORT": str(port),
            "MESH_MEETINGS_ACK_WAIT_S": "2",
            "MESH_MEETINGS_BACKOFF_S": "[0.2]",
            "MESH_MEETINGS_TRANSCRIBE_CONCURRENCY": "1",
            "MESH_LOG_LEVEL": "WARNING",
            # The process's mesh keys derive from it: the same keys as this test's (security_for_tests).
            "MESH_SECRET_KEY": TEST_SECRET,
        }
    )
    log = open(tmp_path / f"meetings-{port}.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "services.meetings"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )


async def _serving(stub: meetings_pb2_grpc.MeetingsServiceStub, worker: subprocess.Popen[bytes]) -> bool:
    assert worker.poll() is None, "the meetings process exited"
    try:
        await stub.ListMeetings(S.ListMeetingsRequest(), metadata=md(ALICE), timeout=2)
    except grpc.aio.AioRpcError:
        return False
    return True


async def test_a_worker_killed_mid_transcription_resumes_without_duplicates(
    tmp_path: Path, database_url: str, nats_server: NatsServer, files: FilesEnv, peer_server: PeerServer
) -> None:
    peers = peer_server.peers
    ids = [await voice_file(files, ALICE, f"{i}.wav") for i in range(3)]
    for number, chunk in enumerate(ids):
        peers.transcripts[chunk] = transcript(chunk, (0, 900, f"Sentence number {number}."), duration_ms=1000)
    peers.gates[ids[1]] = asyncio.Event()  # the second chunk hangs in voice until the test lets it go
    engine = create_engine(database_url)
    progress = Progress(create_session_factory(engine))
    port = free_port()
    worker = _spawn(tmp_path, database_url, nats_server, files, peer_server, port)
    channel = grpc_client.create_channel(f"127.0.0.1:{port}")
    stub = meetings_pb2_grpc.MeetingsServiceStub(channel)
    try:
        await wait_for(lambda: _serving(stub, worker), what="the meetings process to serve")
        meeting = await stub.CreateMeeting(S.CreateMeetingRequest(meeting_name="kill"), metadata=md(ALICE))
        upload = S.UploadChunksRequest(meeting_id=meeting.meeting_id, voice_file_ids=ids, is_end=True)
        await stub.UploadChunks(upload, metadata=md(ALICE))

        async def first_stored_second_running() -> bool:
            chunks = await progress.chunks(meeting_id=meeting.meeting_id)
            return chunks[0].status == ChunkStatus.DONE and peers.calls_for(ids[1]) == 1

        await wait_for(first_stored_second_running, what="chunk 1 stored while chunk 2 is in voice")
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        statuses = [c.status for c in await progress.chunks(meeting_id=meeting.meeting_id)]
        assert statuses == [ChunkStatus.DONE, ChunkStatus.PENDING, ChunkStatus.PENDING]

        peers.gates[ids[1]].set()
        worker = _spawn(tmp_path, database_url, nats_server, files, peer_server, port)
        await wait_for(lambda: _serving(stub, worker), what="the restarted meetings process to serve")
        done = await settled(stub, ALICE, meeting.meeting_id)
        assert done.state == S.MEETING_STATE_COMPLETED and done.duration_ms == 3000
        doc = await stub.ShowMeeting(S.ShowMeetingRequest(meeting_id=meeting.meeting_id), metadata=md(ALICE))
        assert doc.doc.splitlines() == [
            "[00:00:00] Sentence number 0.",
            "[00:00:01] Sentence number 1.",
            "[00:00:02] Sentence number 2.",
        ]
        # The finished chunk was not transcribed again; the one in flight was, once more; the job ran to the end once.
        assert [peers.calls_for(chunk) for chunk in ids] == [1, 2, 1]
        assert len(await progress.chunks(meeting_id=meeting.meeting_id)) == 3
        verbs = [verb for verb, _ in await meeting_events(files.js, meeting.meeting_id)]
        assert verbs == ["closed", "transcribed"]
        assert {who for _, _, who in peers.voice_calls} == {ALICE}
    finally:
        await channel.close()
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
        await engine.dispose()
