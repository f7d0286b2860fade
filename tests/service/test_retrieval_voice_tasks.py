"""Audio uploaded into an index: its task is visible at once, waiting for the transcript, then runs under that id."""

from __future__ import annotations

import time
from pathlib import Path

from meshconsole.files.v1 import files_pb2
from meshconsole.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc

from services.kit import grpc_client
from services.kit.testing.servers import NatsServer
from services.retrieval.app import build_retrieval
from tests.service.files_support import ALICE, md, put, start_files, stop_files
from tests.service.test_retrieval_service import retrieval_settings

R = retrieval_pb2
WAV = b"RIFF" + (36).to_bytes(4, "little") + b"WAVEfmt " + b"\x10\x00\x00\x00\x01\x00\x01\x00" + b"\x00" * 40


async def test_an_audio_ingest_task_answers_at_once_and_runs_after_the_transcript(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    files = await start_files(tmp_path / "files", f"sqlite+aiosqlite:///{tmp_path / 'files.db'}", nats_server)
    process = await build_retrieval(retrieval_settings(tmp_path, nats_server, files), address="127.0.0.1:0")
    await process.server.start()
    channel = grpc_client.create_channel(f"127.0.0.1:{process.port}")
    stub = retrieval_pb2_grpc.RetrievalServiceStub(channel)
    try:
        # No voice service runs here: without the fix the task stays unknown until the transcript is stored.
        voice = await put(files, ALICE, WAV, name="memo.wav", ingest=files_pb2.IngestIntent(index_name="voice-kb"))
        assert voice.parse_status == "transcribing" and voice.ingest_task_id
        request = R.GetTaskRequest(task_id=voice.ingest_task_id, include_results=True)
        waiting = await stub.GetTask(request, metadata=md(ALICE))
        assert waiting.status == R.TASK_STATUS_WAIT_FOR_PROCESSING and waiting.attempts == 0
        assert dict(waiting.results) == {"waiting_for": "transcript"}
        assert (waiting.source.source, waiting.source.index_name) == (voice.id, "voice-kb")

        transcript = files_pb2.SetTranscriptRequest(object_id=voice.id, text="the quarterly numbers went up")
        await files.stub.SetTranscript(transcript, metadata=md(ALICE))
        deadline = time.monotonic() + 60
        task = waiting
        while task.status not in (R.TASK_STATUS_COMPLETED, R.TASK_STATUS_FAILED) and time.monotonic() < deadline:
            task = await stub.GetTask(request, metadata=md(ALICE))
        assert task.status == R.TASK_STATUS_COMPLETED, task.error
        assert task.id == voice.ingest_task_id and task.attempts == 1 and task.chunks_indexed >= 1
        assert "waiting_for" not in dict(task.results)
    finally:
        await channel.close()
        await process.server.stop(0)
        for hook in process.on_shutdown:
            await hook()
        await stop_files(files)
