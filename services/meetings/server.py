"""gRPC servicer for meetings: translates proto messages to domain calls and back, nothing more."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.protobuf import timestamp_pb2
from meshconsole.common.v1 import common_pb2
from meshconsole.meetings.v1 import meetings_pb2, meetings_pb2_grpc

from services.kit.clock import as_utc
from services.kit.context import require_principal
from services.kit.errors import InvalidArgument
from services.meetings.models import Meeting
from services.meetings.service import Doc, MeetingsService

_DOC_TYPES = {
    meetings_pb2.DOC_TYPE_UNSPECIFIED: False,
    meetings_pb2.DOC_TYPE_TRANSCRIPT: False,
    meetings_pb2.DOC_TYPE_MINUTES: True,
}


def _timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(as_utc(value))
    return stamp


def meeting_message(meeting: Meeting) -> meetings_pb2.Meeting:
    return meetings_pb2.Meeting(
        meeting_id=meeting.id,
        meeting_name=meeting.name,
        language=meeting.language,
        auto_organize=meeting.auto_organize,
        state=meeting.state,  # type: ignore[arg-type]
        transcript_state=meeting.transcript_state,  # type: ignore[arg-type]
        minutes_state=meeting.minutes_state,  # type: ignore[arg-type]
        duration_ms=meeting.duration_ms,
        chunk_count=meeting.chunk_count,
        create_time=_timestamp(meeting.created_at),
        last_upload_time=_timestamp(meeting.last_activity_at),
        closed_time=_timestamp(meeting.closed_at),
        error=meeting.error,
    )


def doc_message(doc: Doc) -> meetings_pb2.MeetingDoc:
    return meetings_pb2.MeetingDoc(
        meeting_id=doc.meeting_id,
        doc_type=meetings_pb2.DOC_TYPE_MINUTES if doc.minutes else meetings_pb2.DOC_TYPE_TRANSCRIPT,
        doc=doc.text,
        state=int(doc.state),  # type: ignore[arg-type]
        error=doc.error,
    )


class MeetingsServicer(meetings_pb2_grpc.MeetingsServiceServicer):
    """Thin adapter over MeetingsService."""

    def __init__(self, meetings: MeetingsService) -> None:
        self.meetings = meetings

    async def CreateMeeting(self, request: meetings_pb2.CreateMeetingRequest, context: Any) -> meetings_pb2.Meeting:
        meeting = await self.meetings.create(
            principal=require_principal(),
            name=request.meeting_name,
            language=request.language,
            auto_organize=request.auto_organize,
        )
        return meeting_message(meeting)

    async def UploadChunks(self, request: meetings_pb2.UploadChunksRequest, context: Any) -> meetings_pb2.Meeting:
        meeting = await self.meetings.upload(
            principal=require_principal(),
            meeting_id=request.meeting_id,
            file_ids=list(request.voice_file_ids),
            is_end=request.is_end,
        )
        return meeting_message(meeting)

    async def ShowMeeting(self, request: meetings_pb2.ShowMeetingRequest, context: Any) -> meetings_pb2.MeetingDoc:
        if request.doc_type not in _DOC_TYPES:
            raise InvalidArgument("doc_type must be 0 (transcript) or 1 (AI minutes)", field="doc_type")
        doc = await self.meetings.show(
            principal=require_principal(),
            meeting_id=request.meeting_id,
            minutes=_DOC_TYPES[request.doc_type],
            forced_shutdown=request.forced_shutdown if request.HasField("forced_shutdown") else True,
        )
        return doc_message(doc)

    async def ListMeetings(
        self, request: meetings_pb2.ListMeetingsRequest, context: Any
    ) -> meetings_pb2.ListMeetingsResponse:
        page, limit = request.page.page or 1, request.page.limit or 10
        meetings, total = await self.meetings.list(principal=require_principal(), page=page, limit=limit)
        return meetings_pb2.ListMeetingsResponse(
            meetings=[meeting_message(m) for m in meetings],
            page=common_pb2.PageInfo(page=page, limit=limit, total=total, has_more=page * limit < total),
        )

    async def CloseMeeting(self, request: meetings_pb2.CloseMeetingRequest, context: Any) -> meetings_pb2.Meeting:
        meeting = await self.meetings.close(
            principal=require_principal(), meeting_id=request.meeting_id, organize=request.organize
        )
        return meeting_message(meeting)
