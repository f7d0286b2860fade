"""The meeting assistant's rules for callers: create, upload ordered chunks, close, show a document, list."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from meshconsole.files.v1 import files_pb2

from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.errors import FailedPrecondition, InvalidArgument, NotFound
from services.meetings.config import MeetingsSettings
from services.meetings.models import Meeting, State
from services.meetings.outbox import Outbox
from services.meetings.peers import Peers
from services.meetings.store import MeetingStore, new_meeting_id
from services.meetings.transcript import normalize_language

NAME_MAX_CHARS = 255
FILE_ID_MAX_CHARS = 64
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# files.GetObject calls in flight for one upload.
_CHECKS_AT_ONCE = 8


@dataclass(frozen=True)
class Doc:
    """One document of a meeting as show returns it: "" until ready; state is the document's own."""

    meeting_id: str
    minutes: bool
    text: str
    state: State
    error: str


def _file_field(index: int) -> str:
    return f"voice_file_ids[{index}]"


class MeetingsService:
    def __init__(self, *, settings: MeetingsSettings, store: MeetingStore, peers: Peers, outbox: Outbox) -> None:
        self.settings = settings
        self.store = store
        self.peers = peers
        self.outbox = outbox

    async def create(self, *, principal: Principal, name: str, language: str, auto_organize: bool) -> Meeting:
        """A new open meeting; an empty name becomes its creation time, as lbai names meetings."""
        now = utcnow()
        name = name.strip() or now.astimezone(ZoneInfo(self.settings.timezone)).strftime(TIME_FORMAT)
        if len(name) > NAME_MAX_CHARS:
            raise InvalidArgument(
                f"meeting_name may have at most {NAME_MAX_CHARS} characters, not {len(name)}", field="meeting_name"
            )
        meeting = Meeting(
            id=new_meeting_id(),
            user_id=principal.user_id,
            company_id=principal.company_id,
            name=name,
            language=normalize_language(language),
            auto_organize=auto_organize,
            state=int(State.IN_PROGRESS),
            transcript_state=int(State.IN_PROGRESS),
            minutes_state=int(State.IN_PROGRESS if auto_organize else State.NONE),
            chunk_count=0,
            duration_ms=0,
            transcript="",
            minutes="",
            error="",
            close_reason="",
            created_at=now,
            last_activity_at=now,
            closed_at=None,
        )
        return await self.store.add(meeting=meeting)

    def _check_ids(self, file_ids: Sequence[str]) -> None:
        if not file_ids:
            raise InvalidArgument(
                "voice_file_ids must name at least one voice file (show closes a meeting without new audio)",
                field="voice_file_ids",
            )
        most = self.settings.meetings_max_chunks_per_upload
        if len(file_ids) > most:
            raise InvalidArgument(
                f"at most {most} voice_file_ids per upload, not {len(file_ids)}",
                reason="too_many_chunks",
                field="voice_file_ids",
            )
        for index, file_id in enumerate(file_ids):
            if not file_id.strip() or len(file_id) > FILE_ID_MAX_CHARS:
                raise InvalidArgument(
                    f"{_file_field(index)} must be a file id of 1 to {FILE_ID_MAX_CHARS} characters",
                    field=_file_field(index),
                )

    async def _check_voice_file(self, principal: Principal, index: int, file_id: str) -> int:
        """The length in ms of the caller's voice file that the id names (unknown and foreign ids answer alike)."""
        unknown = InvalidArgument(
            f"{_file_field(index)}: file {file_id} was not found among your files",
            reason="file_not_found",
            field=_file_field(index),
        )
        if not file_id.isdigit():
            raise unknown
        try:
            info = await self.peers.voice_object(principal=principal, file_id=file_id)
        except (NotFound, InvalidArgument):
            raise unknown from None
        if info.kind != files_pb2.OBJECT_KIND_VOICE:
            raise InvalidArgument(
                f"{_file_field(index)}: file {file_id} is not audio; upload meeting audio through "
                "/trainingSpace/addVoice",
                reason="not_audio",
                field=_file_field(index),
            )
        return int(info.duration_ms)

    async def upload(self, *, principal: Principal, meeting_id: str, file_ids: Sequence[str], is_end: bool) -> Meeting:
        """Append chunks in the given order (ids already attached are skipped); is_end closes the meeting."""
        self._check_ids(file_ids)
        meeting = await self.store.get(principal=principal, meeting_id=meeting_id)
        attached = await self.store.attached(meeting_id=meeting.id)
        new = [(index, file_id) for index, file_id in enumerate(file_ids) if file_id not in attached]
        if new and meeting.state != State.IN_PROGRESS:
            raise FailedPrecondition(
                f"meeting {meeting.id} is closed and accepts no more audio", reason="meeting_closed"
            )
        gate = asyncio.Semaphore(_CHECKS_AT_ONCE)

        async def check(index: int, file_id: str) -> int:
            async with gate:
                return await self._check_voice_file(principal, index, file_id)

        first_place: dict[str, int] = {}
        for index, file_id in new:
            first_place.setdefault(file_id, index)
        outcomes = await asyncio.gather(
            *(check(index, file_id) for file_id, index in first_place.items()), return_exceptions=True
        )
        # The first bad id in the caller's order is the one named, whichever check finished first.
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        durations = {f: ms for f, ms in zip(first_place, outcomes, strict=True) if not isinstance(ms, BaseException)}
        meeting, messages = await self.store.append(
            principal=principal,
            meeting_id=meeting.id,
            file_ids=file_ids,
            durations_ms=durations,
            is_end=is_end,
            max_chunks=self.settings.meetings_max_chunks,
        )
        await self.outbox.publish(messages)
        return meeting

    async def close(self, *, principal: Principal, meeting_id: str, organize: bool = False) -> Meeting:
        """Close an open meeting and queue its processing; `organize` also asks for minutes it was created without."""
        meeting, messages = await self.store.close(
            principal=principal, meeting_id=meeting_id, reason="close", organize=organize
        )
        await self.outbox.publish(messages)
        return meeting

    async def show(self, *, principal: Principal, meeting_id: str, minutes: bool, forced_shutdown: bool) -> Doc:
        """One document and its state; forced_shutdown closes an open meeting first (lbai's default)."""
        meeting = await self.store.get(principal=principal, meeting_id=meeting_id)
        if forced_shutdown and meeting.state == State.IN_PROGRESS:
            # Only an open meeting takes the write lock: clients poll show while the documents are made.
            meeting, messages = await self.store.close(principal=principal, meeting_id=meeting_id, reason="show")
            await self.outbox.publish(messages)
        if not minutes:
            state = State(meeting.transcript_state)
            text = meeting.transcript if state == State.COMPLETED else ""
            return Doc(meeting.id, False, text, state, meeting.error if state == State.FAILED else "")
        if meeting.minutes_state == State.NONE:
            raise FailedPrecondition(
                f"meeting {meeting.id} was created with auto_organize = 0, so it has no AI minutes "
                "(doc_type 1); create meetings with auto_organize = 1 to get them",
                reason="minutes_not_requested",
                field="doc_type",
            )
        state = State(meeting.minutes_state)
        text = meeting.minutes if state == State.COMPLETED else ""
        return Doc(meeting.id, True, text, state, meeting.error if state == State.FAILED else "")

    async def list(self, *, principal: Principal, page: int, limit: int) -> tuple[list[Meeting], int]:
        """The principal's meetings, newest first."""
        if page < 1:
            raise InvalidArgument("page_num must be at least 1", field="page_num")
        if not 1 <= limit <= 100:
            raise InvalidArgument("page_size must be between 1 and 100", field="page_size")
        return await self.store.page(principal=principal, page=page, limit=limit)
