"""A meeting from creation to transcript and minutes, on SQLite and PostgreSQL: order, idempotence, closing, events."""

from __future__ import annotations

import grpc
import pytest
from meshconsole.chat.v1 import chat_pb2
from meshconsole.common.v1 import common_pb2

from tests.service.files_support import FilesEnv
from tests.service.meetings.support import (
    ALICE,
    MeetingsEnv,
    PeerServer,
    S,
    md,
    meeting_events,
    settled,
    transcript,
    voice_file,
)


async def test_a_meeting_goes_from_in_progress_to_transcript_and_minutes(
    meetings: MeetingsEnv, files: FilesEnv, peer_server: PeerServer
) -> None:
    peers = peer_server.peers
    ids = [await voice_file(files, ALICE, f"part{i}.wav") for i in range(3)]
    peers.transcripts[ids[0]] = transcript(
        ids[0], (0, 1500, "Good morning team."), (1500, 4000, "Let us start."), duration_ms=4200
    )
    peers.transcripts[ids[1]] = transcript(
        ids[1], (500, 2000, "Alice will ship the release on Friday."), duration_ms=61_000
    )
    peers.transcripts[ids[2]] = transcript(ids[2], (0, 900, "Any questions left?"), duration_ms=3_600_000)
    peers.minutes.append("## Summary\nA weekly sync.\n## Decisions\n- Ship on Friday")

    created = await meetings.stub.CreateMeeting(
        S.CreateMeetingRequest(meeting_name="Weekly sync", auto_organize=True), metadata=md(ALICE)
    )
    assert created.state == S.MEETING_STATE_IN_PROGRESS and created.meeting_id.isdigit()
    await meetings.stub.UploadChunks(
        S.UploadChunksRequest(meeting_id=created.meeting_id, voice_file_ids=ids[:2]), metadata=md(ALICE)
    )
    # The second id again, then the last one, with is_end: the re-sent id is not a new chunk.
    ended = await meetings.stub.UploadChunks(
        S.UploadChunksRequest(meeting_id=created.meeting_id, voice_file_ids=ids[1:], is_end=True), metadata=md(ALICE)
    )
    assert ended.chunk_count == 3 and ended.state == S.MEETING_STATE_ORGANIZING

    done = await settled(meetings.stub, ALICE, created.meeting_id)
    assert done.state == S.MEETING_STATE_COMPLETED and done.chunk_count == 3
    assert done.duration_ms == 4200 + 61_000 + 3_600_000

    doc = await meetings.stub.ShowMeeting(S.ShowMeetingRequest(meeting_id=created.meeting_id), metadata=md(ALICE))
    assert doc.state == S.MEETING_STATE_COMPLETED
    assert doc.doc.splitlines() == [
        "[00:00:00] Good morning team.",
        "[00:00:01] Let us start.",
        "[00:00:04] Alice will ship the release on Friday.",  # chunk 2 starts at 4.2 s
        "[00:01:05] Any questions left?",  # chunk 3 starts at 65.2 s
    ]
    minutes = await meetings.stub.ShowMeeting(
        S.ShowMeetingRequest(meeting_id=created.meeting_id, doc_type=S.DOC_TYPE_MINUTES), metadata=md(ALICE)
    )
    assert (minutes.state, minutes.doc) == (
        S.MEETING_STATE_COMPLETED,
        "## Summary\nA weekly sync.\n## Decisions\n- Ship on Friday",
    )

    # Each chunk was transcribed once, for its owner, in the meeting's language ("" = let voice detect zh/en).
    assert sorted(call[0] for call in peers.voice_calls) == sorted(ids)
    assert {(call[1], call[2]) for call in peers.voice_calls} == {("", ALICE)}
    ((request, who),) = peers.generate_calls
    assert who == ALICE and request.ephemeral and request.mode == chat_pb2.CONVERSATION_MODE_CHAT
    assert doc.doc in request.query and "Weekly sync" in request.query and "01:01:05" in request.query
    system = request.model_config_override["pre_prompt"]
    assert "English" in system and "## Action items" in system and "owner" in system

    events = await meeting_events(files.js, created.meeting_id)
    assert [verb for verb, _ in events] == ["closed", "transcribed", "organized"]
    assert events[0][1] | {"closed_at": ""} == {
        "meeting_id": created.meeting_id,
        "user_id": ALICE.user_id,
        "company_id": ALICE.company_id,
        "reason": "is_end",
        "chunk_count": 3,
        "closed_at": "",
    }
    assert events[1][1]["gaps"] == 0 and events[2][1]["state"] == "completed"


async def test_chunks_keep_their_order_and_a_closed_meeting_refuses_new_audio(
    meetings: MeetingsEnv, files: FilesEnv, peer_server: PeerServer
) -> None:
    a, b, c, d = [await voice_file(files, ALICE, f"{n}.wav") for n in "abcd"]
    meeting = await meetings.stub.CreateMeeting(S.CreateMeetingRequest(language="en"), metadata=md(ALICE))
    assert len(meeting.meeting_name) == len("2024-11-01 11:11:11")  # the creation time names it
    for batch in ([b, a], [a, c, b], [c]):  # re-sent ids, also within one upload, are ignored
        got = await meetings.stub.UploadChunks(
            S.UploadChunksRequest(meeting_id=meeting.meeting_id, voice_file_ids=batch), metadata=md(ALICE)
        )
    assert got.chunk_count == 3 and got.state == S.MEETING_STATE_IN_PROGRESS
    closed = await meetings.stub.CloseMeeting(S.CloseMeetingRequest(meeting_id=meeting.meeting_id), metadata=md(ALICE))
    assert closed.state == S.MEETING_STATE_ORGANIZING

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await meetings.stub.UploadChunks(
            S.UploadChunksRequest(meeting_id=meeting.meeting_id, voice_file_ids=[a, d]), metadata=md(ALICE)
        )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "closed" in str(refused.value.details())
    # A retried upload that brings nothing new answers as before (the client may not have seen the first answer).
    again = await meetings.stub.UploadChunks(
        S.UploadChunksRequest(meeting_id=meeting.meeting_id, voice_file_ids=[c], is_end=True), metadata=md(ALICE)
    )
    assert again.chunk_count == 3

    await settled(meetings.stub, ALICE, meeting.meeting_id)
    doc = await meetings.stub.ShowMeeting(S.ShowMeetingRequest(meeting_id=meeting.meeting_id), metadata=md(ALICE))
    assert doc.doc.splitlines() == [f"[00:00:00] words of {b}", f"[00:00:00] words of {a}", f"[00:00:00] words of {c}"]
    assert {call[1] for call in peer_server.peers.voice_calls} == {"en"}
    assert d not in {call[0] for call in peer_server.peers.voice_calls}
    closes = [v for v, _ in await meeting_events(files.js, meeting.meeting_id) if v == "closed"]
    assert closes == ["closed"]  # closing twice (CloseMeeting, then is_end) closed it once


async def test_show_closes_an_open_meeting_unless_told_not_to(meetings: MeetingsEnv, files: FilesEnv) -> None:
    chunk = await voice_file(files, ALICE)
    meeting = await meetings.stub.CreateMeeting(S.CreateMeetingRequest(meeting_name="m"), metadata=md(ALICE))
    await meetings.stub.UploadChunks(
        S.UploadChunksRequest(meeting_id=meeting.meeting_id, voice_file_ids=[chunk]), metadata=md(ALICE)
    )
    peek = await meetings.stub.ShowMeeting(
        S.ShowMeetingRequest(meeting_id=meeting.meeting_id, forced_shutdown=False), metadata=md(ALICE)
    )
    assert (peek.state, peek.doc) == (S.MEETING_STATE_IN_PROGRESS, "")
    shown = await meetings.stub.ShowMeeting(S.ShowMeetingRequest(meeting_id=meeting.meeting_id), metadata=md(ALICE))
    assert shown.state in (S.MEETING_STATE_ORGANIZING, S.MEETING_STATE_COMPLETED)
    await settled(meetings.stub, ALICE, meeting.meeting_id)
    final = await meetings.stub.ShowMeeting(S.ShowMeetingRequest(meeting_id=meeting.meeting_id), metadata=md(ALICE))
    assert (final.state, final.doc) == (S.MEETING_STATE_COMPLETED, f"[00:00:00] words of {chunk}")
    events = await meeting_events(files.js, meeting.meeting_id)
    assert events[0][0] == "closed" and events[0][1]["reason"] == "show"
    assert [v for v, _ in events] == ["closed", "transcribed"]  # no minutes were asked for


async def test_list_is_newest_first_and_paged(meetings: MeetingsEnv) -> None:
    made = [
        (await meetings.stub.CreateMeeting(S.CreateMeetingRequest(meeting_name=f"n{i}"), metadata=md(ALICE))).meeting_id
        for i in range(3)
    ]
    first = await meetings.stub.ListMeetings(
        S.ListMeetingsRequest(page=common_pb2.PageRequest(page=1, limit=2)), metadata=md(ALICE)
    )
    second = await meetings.stub.ListMeetings(
        S.ListMeetingsRequest(page=common_pb2.PageRequest(page=2, limit=2)), metadata=md(ALICE)
    )
    assert [m.meeting_id for m in [*first.meetings, *second.meetings]] == made[::-1]
    assert (first.page.total, first.page.has_more, second.page.has_more) == (3, True, False)
