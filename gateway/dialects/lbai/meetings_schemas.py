"""lbai meeting assistant bodies and response models (section 5 of the lbai seed)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr


class CreateMeetingBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    language: StrictStr | None = Field(default=None, max_length=32, description="null: Chinese and English")
    auto_organize: StrictInt | None = Field(default=0, description="1: write AI minutes after the meeting; 0: do not")
    meeting_name: StrictStr | None = Field(
        default=None, max_length=255, description='default: the creation time, "2024-11-01 11:11:11"'
    )


class UploadMeetingBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    meeting_id: StrictStr | StrictInt
    voice_file_ids: list[StrictStr | StrictInt] = Field(
        description="voice file ids from /trainingSpace/addVoice, in speaking order"
    )
    is_end: StrictBool | None = Field(default=False, description="true: the last recording; the meeting closes")


class ShowMeetingBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    meeting_id: StrictStr | StrictInt
    doc_type: StrictInt | None = Field(default=0, description="0: transcript; 1: AI minutes")
    forced_shutdown: StrictBool | None = Field(default=True, description="true (default): close an open meeting first")


class MeetingCreated(BaseModel):
    meeting_id: str


class MeetingDocument(BaseModel):
    """/meetingAssistant/show: the document ("" until ready) and its state."""

    doc: str
    state: int = Field(description="0 in progress, 1 organizing, 2 done, 3 failed")
    errorMessage: str | None = Field(description="why the document failed (state 3), else null")


class MeetingItem(BaseModel):
    """One /meetingAssistant/list item."""

    meeting_id: str
    meeting_name: str
    create_time: str
    meeting_duration: str = Field(description='"HH:MM:SS", summed from the transcribed audio')
    state: int = Field(description="0 in progress, 1 organizing, 2 done, 3 failed")
