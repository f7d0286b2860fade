"""Failures: an untranscribable chunk is a gap with its reason, voice outages are retried without redoing finished
chunks, and minutes that cannot be written fail the meeting with the reason stored."""

from __future__ import annotations

from pathlib import Path

from meshconsole.chat.v1 import chat_pb2

from services.kit.errors import FailedPrecondition, InvalidArgument, Unavailable
from services.kit.testing.servers import NatsServer
from tests.service.files_support import FilesEnv
from tests.service.meetings.support import (
    ALICE,
    MeetingsEnv,
    PeerServer,
    S,
    md,
    meeting_events,
    meetings_settings,
    settled,
    start_meetings,
    transcript,
    voice_file,
)


async def _meeting(meetings: MeetingsEnv, ids: list[str], *, organize: bool) -> str:
    meeting = await meetings.stub.CreateMeeting(S.CreateMeetingRequest(auto_organize=organize), metadata=md(ALICE))
    request = S.UploadChunksRequest(meeting_id=meeting.meeting_id, voice_file_ids=ids, is_end=True)
    await meetings.stub.UploadChunks(request, metadata=md(ALICE))
    return meeting.meeting_id


async def test_a_chunk_that_cannot_be_transcribed_is_a_gap_and_the_meeting_goes_on(
    meetings: MeetingsEnv, files: FilesEnv, peer_server: PeerServer
) -> None:
    peers = peer_server.peers
    ids = [await voice_file(files, ALICE, f"{i}.wav") for i in range(3)]
    peers.transcripts[ids[0]] = transcript(ids[0], (0, 1000, "First part."), duration_ms=2000)
    peers.transcripts[ids[1]] = InvalidArgument("the audio could not be decoded", reason="bad_audio")
    peers.transcripts[ids[2]] = transcript(ids[2], (0, 1000, "Last part."), duration_ms=3000)
    meeting_id = await _meeting(meetings, ids, organize=True)

    done = await settled(meetings.stub, ALICE, meeting_id)
    # The gap still lasted the 50 ms files measured at upload.
    assert done.state == S.MEETING_STATE_COMPLETED and done.duration_ms == 5050
    doc = await meetings.stub.ShowMeeting(S.ShowMeetingRequest(meeting_id=meeting_id), metadata=md(ALICE))
    assert doc.doc.splitlines() == [
        "[00:00:00] First part.",
        f"[00:00:02] [gap: voice chunk 2 (file {ids[1]}) could not be transcribed: the audio could not be decoded]",
        "[00:00:02] Last part.",
    ]
    assert peers.calls_for(ids[1]) == 1  # a permanent failure is not retried
    assert "[gap: voice chunk 2" in peers.generate_calls[0][0].query
    transcribed = [p for v, p in await meeting_events(files.js, meeting_id) if v == "transcribed"]
    assert [p["gaps"] for p in transcribed] == [1]


async def test_voice_outages_are_retried_without_redoing_finished_chunks(
    meetings: MeetingsEnv, files: FilesEnv, peer_server: PeerServer
) -> None:
    peers = peer_server.peers
    ids = [await voice_file(files, ALICE, f"{i}.wav") for i in range(3)]
    peers.once[ids[1]] = [Unavailable("voice is restarting"), Unavailable("voice is restarting")]
    meeting_id = await _meeting(meetings, ids, organize=False)

    await settled(meetings.stub, ALICE, meeting_id)
    doc = await meetings.stub.ShowMeeting(S.ShowMeetingRequest(meeting_id=meeting_id), metadata=md(ALICE))
    assert doc.doc.splitlines() == [f"[00:00:00] words of {i}" for i in ids]
    assert [peers.calls_for(i) for i in ids] == [1, 3, 1]


async def test_a_chunk_voice_never_gets_to_becomes_a_gap_on_the_last_attempt(
    tmp_path: Path, database_url: str, nats_server: NatsServer, files: FilesEnv, peer_server: PeerServer
) -> None:
    peers = peer_server.peers
    settings = meetings_settings(
        tmp_path / "m", database_url, nats_server.url, files, peer_server, meetings_max_deliver=2
    )
    env = await start_meetings(settings)
    try:
        ids = [await voice_file(files, ALICE, f"{i}.wav") for i in range(2)]
        peers.transcripts[ids[0]] = Unavailable("voice is down", reason="service_unavailable")
        meeting_id = await _meeting(env, ids, organize=False)
        done = await settled(env.stub, ALICE, meeting_id)
        assert done.state == S.MEETING_STATE_COMPLETED
        doc = await env.stub.ShowMeeting(S.ShowMeetingRequest(meeting_id=meeting_id), metadata=md(ALICE))
        assert doc.doc.splitlines() == [
            f"[00:00:00] [gap: voice chunk 1 (file {ids[0]}) could not be transcribed: voice is down]",
            f"[00:00:00] words of {ids[1]}",
        ]
        assert [peers.calls_for(i) for i in ids] == [2, 1]
    finally:
        await env.stop()


async def test_minutes_that_cannot_be_written_fail_the_meeting_with_the_reason(
    meetings: MeetingsEnv, files: FilesEnv, peer_server: PeerServer
) -> None:
    peers = peer_server.peers
    chunk = await voice_file(files, ALICE)
    peers.minutes.append(
        chat_pb2.GenerateError(reason="model_not_configured", message="no model is configured", grpc_code=9)
    )
    meeting_id = await _meeting(meetings, [chunk], organize=True)

    failed = await settled(meetings.stub, ALICE, meeting_id)
    assert failed.state == S.MEETING_STATE_FAILED
    assert failed.error == "the minutes could not be written: no model is configured"
    minutes = await meetings.stub.ShowMeeting(
        S.ShowMeetingRequest(meeting_id=meeting_id, doc_type=S.DOC_TYPE_MINUTES), metadata=md(ALICE)
    )
    assert (minutes.state, minutes.doc, minutes.error) == (S.MEETING_STATE_FAILED, "", failed.error)
    # The transcript itself is fine.
    doc = await meetings.stub.ShowMeeting(S.ShowMeetingRequest(meeting_id=meeting_id), metadata=md(ALICE))
    assert (doc.state, doc.doc, doc.error) == (S.MEETING_STATE_COMPLETED, f"[00:00:00] words of {chunk}", "")
    assert len(peers.generate_calls) == 1  # a permanent failure is not retried
    organized = [p for v, p in await meeting_events(files.js, meeting_id) if v == "organized"]
    assert organized == [
        {
            "meeting_id": meeting_id,
            "user_id": ALICE.user_id,
            "company_id": ALICE.company_id,
            "state": "failed",
            "error": failed.error,
        }
    ]


async def test_an_upstream_that_keeps_failing_fails_the_minutes_after_the_last_attempt(
    tmp_path: Path, database_url: str, nats_server: NatsServer, files: FilesEnv, peer_server: PeerServer
) -> None:
    peers = peer_server.peers
    settings = meetings_settings(
        tmp_path / "m", database_url, nats_server.url, files, peer_server, meetings_max_deliver=3
    )
    env = await start_meetings(settings)
    try:
        chunk = await voice_file(files, ALICE)
        peers.minutes.extend([Unavailable("upstream model error (502)", reason="upstream_error")] * 3)
        meeting_id = await _meeting(env, [chunk], organize=True)
        failed = await settled(env.stub, ALICE, meeting_id)
        assert failed.state == S.MEETING_STATE_FAILED and "upstream model error (502)" in failed.error
        assert len(peers.generate_calls) == 3 and peers.calls_for(chunk) == 1
    finally:
        await env.stop()


async def test_a_meeting_without_speech_has_no_minutes_and_says_why(
    meetings: MeetingsEnv, files: FilesEnv, peer_server: PeerServer
) -> None:
    chunk = await voice_file(files, ALICE)
    peer_server.peers.transcripts[chunk] = FailedPrecondition("the file holds no audio stream")
    meeting_id = await _meeting(meetings, [chunk], organize=True)
    failed = await settled(meetings.stub, ALICE, meeting_id)
    assert failed.state == S.MEETING_STATE_FAILED and "no speech was transcribed" in failed.error
    assert not peer_server.peers.generate_calls
