"""lbai meeting assistant: create a meeting, upload its voice chunks in order, show its transcript or minutes, list."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from meshconsole.common.v1 import common_pb2
from meshconsole.meetings.v1 import meetings_pb2

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients, Settings
from gateway.dialects.lbai.envelope import PREFIX, ok, page
from gateway.dialects.lbai.meetings_schemas import (
    CreateMeetingBody,
    MeetingCreated,
    MeetingDocument,
    MeetingItem,
    ShowMeetingBody,
    UploadMeetingBody,
)
from gateway.dialects.lbai.schemas import LbaiEnvelope, LbaiPage
from services.kit.errors import InvalidArgument

router = APIRouter(prefix=f"{PREFIX}/meetingAssistant")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
ID_MAX_CHARS = 64
_DOC_TYPES = {0: meetings_pb2.DOC_TYPE_TRANSCRIPT, 1: meetings_pb2.DOC_TYPE_MINUTES}


def _id(value: str | int, field: str) -> str:
    text = str(value).strip()
    if not text or len(text) > ID_MAX_CHARS:
        raise InvalidArgument(f"{field} must be an id of 1 to {ID_MAX_CHARS} characters", field=field)
    return text


def lbai_state(state: int) -> int:
    """The contract's MeetingState (1 in progress … 4 failed) as lbai's 0…3."""
    return max(0, int(state) - 1)


def duration(ms: int) -> str:
    seconds = max(0, int(ms)) // 1000
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@router.post("/create", response_model=LbaiEnvelope[MeetingCreated])
async def create(principal: CurrentPrincipal, clients: Clients, body: CreateMeetingBody) -> dict[str, Any]:
    """A new meeting in progress; language null means Chinese and English."""
    if body.auto_organize not in (None, 0, 1):
        raise InvalidArgument("auto_organize must be 0 (no AI minutes) or 1 (AI minutes)", field="auto_organize")
    request = meetings_pb2.CreateMeetingRequest(
        meeting_name=body.meeting_name or "", language=body.language or "", auto_organize=body.auto_organize == 1
    )
    meeting = await clients.call(clients.meetings.CreateMeeting, request, principal=principal)
    return ok({"meeting_id": meeting.meeting_id})


@router.post("/upload", response_model=LbaiEnvelope[None])
async def upload(principal: CurrentPrincipal, clients: Clients, body: UploadMeetingBody) -> dict[str, Any]:
    """Append voice chunks in order (re-sent ids are ignored); is_end closes the meeting and starts the documents."""
    request = meetings_pb2.UploadChunksRequest(
        meeting_id=_id(body.meeting_id, "meeting_id"),
        voice_file_ids=[str(file_id).strip() for file_id in body.voice_file_ids],
        is_end=bool(body.is_end),
    )
    await clients.call(clients.meetings.UploadChunks, request, principal=principal)
    return ok(None)


@router.post("/show", response_model=LbaiEnvelope[MeetingDocument])
async def show(principal: CurrentPrincipal, clients: Clients, body: ShowMeetingBody) -> dict[str, Any]:
    """The transcript (doc_type 0) or AI minutes (1) and its state; closes an open meeting unless told not to."""
    doc_type = 0 if body.doc_type is None else body.doc_type
    if doc_type not in _DOC_TYPES:
        raise InvalidArgument("doc_type must be 0 (transcript) or 1 (AI minutes)", field="doc_type")
    request = meetings_pb2.ShowMeetingRequest(
        meeting_id=_id(body.meeting_id, "meeting_id"),
        doc_type=_DOC_TYPES[doc_type],
        forced_shutdown=body.forced_shutdown is not False,
    )
    doc = await clients.call(clients.meetings.ShowMeeting, request, principal=principal)
    return ok({"doc": doc.doc, "state": lbai_state(doc.state), "errorMessage": doc.error or None})


@router.get("/list", response_model=LbaiEnvelope[LbaiPage[MeetingItem]])
async def list_meetings(
    principal: CurrentPrincipal,
    clients: Clients,
    settings: Settings,
    page_size: int = Query(default=10, ge=1, le=100),
    page_num: int = Query(default=1, ge=1),
) -> dict[str, Any]:
    """The caller's meetings, newest first; meeting_duration sums the transcribed audio."""
    request = meetings_pb2.ListMeetingsRequest(page=common_pb2.PageRequest(page=page_num, limit=page_size))
    reply = await clients.call(clients.meetings.ListMeetings, request, principal=principal)
    zone = ZoneInfo(settings.timezone)
    items = [
        {
            "meeting_id": meeting.meeting_id,
            "meeting_name": meeting.meeting_name,
            "create_time": meeting.create_time.ToDatetime(tzinfo=ZoneInfo("UTC"))
            .astimezone(zone)
            .strftime(TIME_FORMAT),
            "meeting_duration": duration(meeting.duration_ms),
            "state": lbai_state(meeting.state),
        }
        for meeting in reply.meetings
    ]
    return ok(page(items, page_num=page_num, page_size=page_size, total=int(reply.page.total)))
