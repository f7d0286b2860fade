"""Bad input named by field, tenancy (a foreign meeting is an unknown one), and minutes nobody asked for."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import grpc
import pytest

from services.kit.errors import from_rpc_error
from services.kit.testing.servers import NatsServer
from tests.service.files_support import FilesEnv, put
from tests.service.meetings.support import (
    ACME_KEY,
    ALICE,
    BOB,
    CAROL,
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


async def refused(call: Awaitable[Any]) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


def violation(error: grpc.aio.AioRpcError) -> str:
    """The field the rich status names (BadRequest)."""
    return str(from_rpc_error(error).field)


async def test_bad_input_is_refused_naming_the_field(meetings: MeetingsEnv, files: FilesEnv) -> None:
    stub = meetings.stub
    long_name = await refused(stub.CreateMeeting(S.CreateMeetingRequest(meeting_name="x" * 256), metadata=md(ALICE)))
    assert long_name.code() == grpc.StatusCode.INVALID_ARGUMENT and violation(long_name) == "meeting_name"
    language = await refused(stub.CreateMeeting(S.CreateMeetingRequest(language="Klingon!"), metadata=md(ALICE)))
    assert violation(language) == "language"

    meeting = (await stub.CreateMeeting(S.CreateMeetingRequest(language="中文"), metadata=md(ALICE))).meeting_id
    mine = await voice_file(files, ALICE)
    theirs = await voice_file(files, BOB)
    text = await put(files, ALICE, b"hello, this is text", name="notes.txt")

    async def upload(*ids: str) -> grpc.aio.AioRpcError:
        request = S.UploadChunksRequest(meeting_id=meeting, voice_file_ids=list(ids))
        return await refused(stub.UploadChunks(request, metadata=md(ALICE)))

    empty = await upload()
    assert (empty.code(), violation(empty)) == (grpc.StatusCode.INVALID_ARGUMENT, "voice_file_ids")
    assert "at least one" in str(empty.details())
    foreign = await upload(mine, theirs)
    unknown = await upload(mine, "99999999")
    assert violation(foreign) == violation(unknown) == "voice_file_ids[1]"
    assert str(foreign.details()).replace(theirs, "ID") == str(unknown.details()).replace("99999999", "ID")
    assert violation(await upload("not-an-id")) == "voice_file_ids[0]"
    not_audio = await upload(text.id)
    assert violation(await upload(mine, text.id, "99999999")) == "voice_file_ids[1]"  # the first bad one, in order
    assert violation(not_audio) == "voice_file_ids[0]" and "not audio" in str(not_audio.details())
    too_many = await upload(*[mine] * 101)
    assert violation(too_many) == "voice_file_ids" and "at most 100" in str(too_many.details())
    # Nothing of a refused upload was kept.
    listed = await stub.ListMeetings(S.ListMeetingsRequest(), metadata=md(ALICE))
    assert next(m for m in listed.meetings if m.meeting_id == meeting).chunk_count == 0

    doc_type = await refused(stub.ShowMeeting(S.ShowMeetingRequest(meeting_id=meeting, doc_type=7), metadata=md(ALICE)))  # type: ignore[arg-type]
    assert violation(doc_type) == "doc_type"


async def test_a_meeting_holds_at_most_max_chunks(
    tmp_path: Path, database_url: str, nats_server: NatsServer, files: FilesEnv, peer_server: PeerServer
) -> None:
    settings = meetings_settings(
        tmp_path / "m", database_url, nats_server.url, files, peer_server, meetings_max_chunks=2
    )
    env = await start_meetings(settings)
    try:
        ids = [await voice_file(files, ALICE, f"{i}.wav") for i in range(3)]
        meeting = (await env.stub.CreateMeeting(S.CreateMeetingRequest(), metadata=md(ALICE))).meeting_id
        await env.stub.UploadChunks(
            S.UploadChunksRequest(meeting_id=meeting, voice_file_ids=ids[:2]), metadata=md(ALICE)
        )
        error = await refused(
            env.stub.UploadChunks(S.UploadChunksRequest(meeting_id=meeting, voice_file_ids=ids), metadata=md(ALICE))
        )
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "at most 2 voice chunks" in str(error.details())
    finally:
        await env.stop()


async def test_another_users_or_companys_meeting_is_an_unknown_meeting(meetings: MeetingsEnv, files: FilesEnv) -> None:
    stub = meetings.stub
    meeting = (await stub.CreateMeeting(S.CreateMeetingRequest(meeting_name="secret"), metadata=md(ALICE))).meeting_id
    bob_chunk = await voice_file(files, BOB)

    def calls(who: Any, meeting_id: str) -> list[Awaitable[Any]]:
        return [
            stub.UploadChunks(
                S.UploadChunksRequest(meeting_id=meeting_id, voice_file_ids=[bob_chunk]), metadata=md(who)
            ),
            stub.ShowMeeting(S.ShowMeetingRequest(meeting_id=meeting_id), metadata=md(who)),
            stub.CloseMeeting(S.CloseMeetingRequest(meeting_id=meeting_id), metadata=md(who)),
        ]

    for who in (BOB, CAROL):
        for foreign, unknown in zip(calls(who, meeting), calls(who, "123456789"), strict=True):
            a, b = await refused(foreign), await refused(unknown)
            assert (
                (a.code(), a.details()) == (b.code(), b.details()) == (grpc.StatusCode.NOT_FOUND, "meeting not found")
            )
        assert (await stub.ListMeetings(S.ListMeetingsRequest(), metadata=md(who))).page.total == 0
    # Nobody closed it; a company key (lbai's enterprise token) acts for the whole company and sees it.
    peek = await stub.ShowMeeting(S.ShowMeetingRequest(meeting_id=meeting, forced_shutdown=False), metadata=md(ALICE))
    assert peek.state == S.MEETING_STATE_IN_PROGRESS
    assert [
        m.meeting_id for m in (await stub.ListMeetings(S.ListMeetingsRequest(), metadata=md(ACME_KEY))).meetings
    ] == [meeting]


async def test_minutes_of_a_meeting_without_auto_organize_answer_clearly_until_asked_for(
    meetings: MeetingsEnv, files: FilesEnv, peer_server: PeerServer
) -> None:
    stub = meetings.stub
    chunk = await voice_file(files, ALICE)
    meeting = (await stub.CreateMeeting(S.CreateMeetingRequest(auto_organize=False), metadata=md(ALICE))).meeting_id
    await stub.UploadChunks(
        S.UploadChunksRequest(meeting_id=meeting, voice_file_ids=[chunk], is_end=True), metadata=md(ALICE)
    )
    await settled(stub, ALICE, meeting)
    minutes = S.ShowMeetingRequest(meeting_id=meeting, doc_type=S.DOC_TYPE_MINUTES)
    error = await refused(stub.ShowMeeting(minutes, metadata=md(ALICE)))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and violation(error) == "doc_type"
    assert "auto_organize = 0" in str(error.details())
    assert not peer_server.peers.generate_calls

    # CloseMeeting(organize) asks for them after all: one more job, minutes only (no chunk transcribed again).
    peer_server.peers.minutes.append("## Summary\nlate minutes")
    again = await stub.CloseMeeting(S.CloseMeetingRequest(meeting_id=meeting, organize=True), metadata=md(ALICE))
    assert again.minutes_state == S.MEETING_STATE_ORGANIZING
    await settled(stub, ALICE, meeting)
    shown = await stub.ShowMeeting(minutes, metadata=md(ALICE))
    assert (shown.state, shown.doc) == (S.MEETING_STATE_COMPLETED, "## Summary\nlate minutes")
    assert peer_server.peers.calls_for(chunk) == 1
    assert [v for v, _ in await meeting_events(files.js, meeting)] == ["closed", "transcribed", "organized"]
