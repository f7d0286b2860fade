"""Auto-close with two replicas on one database and one NATS: every idle meeting closes exactly once, busy ones stay."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.kit.testing.servers import NatsServer
from tests.service.files_support import FilesEnv
from tests.service.meetings.support import (
    ALICE,
    BOB,
    MeetingsEnv,
    PeerServer,
    S,
    md,
    meeting_events,
    meetings_settings,
    settled,
    start_meetings,
    voice_file,
)

IDLE_S = 1.0


async def test_idle_meetings_close_exactly_once_with_two_replicas(
    tmp_path: Path, database_url: str, nats_server: NatsServer, files: FilesEnv, peer_server: PeerServer
) -> None:
    replicas: list[MeetingsEnv] = []
    for name in ("a", "b"):
        settings = meetings_settings(
            tmp_path / name,
            database_url,
            nats_server.url,
            files,
            peer_server,
            meetings_idle_timeout_s=IDLE_S,
            meetings_idle_sweep_interval_s=0.05,
        )
        replicas.append(await start_meetings(settings))
    try:
        owners = [ALICE, BOB] * 5
        chunks = [await voice_file(files, who, f"idle{i}.wav") for i, who in enumerate(owners)]
        idle: list[str] = []
        for i, (who, chunk) in enumerate(zip(owners, chunks, strict=True)):
            stub = replicas[i % 2].stub
            meeting = await stub.CreateMeeting(S.CreateMeetingRequest(meeting_name=f"idle {i}"), metadata=md(who))
            request = S.UploadChunksRequest(meeting_id=meeting.meeting_id, voice_file_ids=[chunk])
            await stub.UploadChunks(request, metadata=md(who))
            idle.append(meeting.meeting_id)

        # A meeting that keeps getting audio more often than the timeout stays open through several sweeps.
        busy = await replicas[0].stub.CreateMeeting(S.CreateMeetingRequest(meeting_name="busy"), metadata=md(ALICE))
        for i in range(8):
            chunk = await voice_file(files, ALICE, f"busy{i}.wav")
            upload = S.UploadChunksRequest(meeting_id=busy.meeting_id, voice_file_ids=[chunk])
            meeting = await replicas[i % 2].stub.UploadChunks(upload, metadata=md(ALICE))
            assert meeting.state == S.MEETING_STATE_IN_PROGRESS
            await asyncio.sleep(IDLE_S * 0.3)  # pacing the speaker, not waiting for a result

        for meeting_id, who in zip([*idle, busy.meeting_id], [*owners, ALICE], strict=True):
            done = await settled(replicas[0].stub, who, meeting_id)
            assert done.state == S.MEETING_STATE_COMPLETED
            events = await meeting_events(files.js, meeting_id)
            assert [(verb, payload.get("reason")) for verb, payload in events] == [
                ("closed", "idle"),
                ("transcribed", None),
            ], meeting_id
        assert (await meeting_events(files.js, busy.meeting_id))[0][1]["chunk_count"] == 8
        # One close, one job: every chunk went to voice once.
        assert all(peer_server.peers.calls_for(chunk) == 1 for chunk in chunks)
        assert len(peer_server.peers.voice_calls) == len(chunks) + 8
    finally:
        for replica in replicas:
            await replica.stop()
