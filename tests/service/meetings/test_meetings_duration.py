"""A meeting's length while it goes on: the chunks' audio as files measured it at upload, before any transcript."""

from __future__ import annotations

from meshconsole.common.v1 import common_pb2

from services.kit.errors import InvalidArgument
from tests.service.files_support import FilesEnv
from tests.service.meetings.support import ALICE, MeetingsEnv, PeerServer, S, md, settled, voice_file


async def test_an_open_meeting_lists_the_length_of_the_audio_it_has_so_far(
    meetings: MeetingsEnv, files: FilesEnv, peer_server: PeerServer
) -> None:
    first = await voice_file(files, ALICE, "first.wav", ms=1500)
    second = await voice_file(files, ALICE, "second.wav", ms=2500)
    created = await meetings.stub.CreateMeeting(S.CreateMeetingRequest(meeting_name="Stand-up"), metadata=md(ALICE))
    upload = S.UploadChunksRequest(meeting_id=created.meeting_id, voice_file_ids=[first])
    after_first = await meetings.stub.UploadChunks(upload, metadata=md(ALICE))
    assert (after_first.state, after_first.duration_ms) == (S.MEETING_STATE_IN_PROGRESS, 1500)

    # The same id again adds nothing; a new one adds its length.
    upload = S.UploadChunksRequest(meeting_id=created.meeting_id, voice_file_ids=[first, second])
    after_second = await meetings.stub.UploadChunks(upload, metadata=md(ALICE))
    assert (after_second.chunk_count, after_second.duration_ms) == (2, 4000)
    listed = await meetings.stub.ListMeetings(
        S.ListMeetingsRequest(page=common_pb2.PageRequest(page=1, limit=5)), metadata=md(ALICE)
    )
    assert [(m.meeting_id, m.state, m.duration_ms) for m in listed.meetings] == [
        (created.meeting_id, S.MEETING_STATE_IN_PROGRESS, 4000)
    ]

    # Voice cannot read the second chunk: it becomes a gap, and the meeting still lasted both chunks.
    peer_server.peers.transcripts[second] = InvalidArgument("the audio could not be decoded", reason="bad_audio")
    close = S.UploadChunksRequest(meeting_id=created.meeting_id, voice_file_ids=[second], is_end=True)
    await meetings.stub.UploadChunks(close, metadata=md(ALICE))
    done = await settled(meetings.stub, ALICE, created.meeting_id)
    assert (done.state, done.duration_ms) == (S.MEETING_STATE_COMPLETED, 4000)
