"""lbai response models: the `{data, errorCode, line, message, success}` envelope, its page and the data shapes."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class LbaiEnvelope(BaseModel, Generic[T]):
    """Every lbai JSON success: errorCode 0, message "成功", success true, the payload in data."""

    data: T
    errorCode: int
    line: None = Field(description="always null")
    message: str
    success: bool


class LbaiPage(BaseModel, Generic[T]):
    """lbai's page of items."""

    isMore: bool
    items: list[T]
    pageNum: int
    pageSize: int
    startIndex: int
    totalCount: int
    totalPage: int


class MessageAttach(BaseModel):
    file_id: str
    url: str
    file_type: int = Field(description="1 file, 2 image, 3 voice")
    url_invalid: int


class ReplyMessage(BaseModel):
    text: str
    text_type: str | None = Field(description='"mermaid" or "mindmap" when mark_type asks for a diagram, else null')
    file_attachs: list[MessageAttach]


class ChatReply(BaseModel):
    """The answer to /chat/completions, /miniProgram/chat and /miniProgram/create."""

    id: str
    session_id: str
    create_time: str
    message: ReplyMessage


class HistoryMessage(BaseModel):
    """One /chat/msgList item."""

    id: str
    header_url: str
    message: ReplyMessage
    create_time: str
    user_type: str = Field(description='"AI" or "human"')


class MiniProgramIds(BaseModel):
    session_id: str
    command_session_id: str


class MiniProgramSetting(BaseModel):
    mini_program_name: str
    mini_program_icon: str
    mini_program_introduction: str
    mini_program_instructions: str
    mini_program_setting: str


class SharedSession(BaseModel):
    session_id: str


class ChatSession(BaseModel):
    """One /chat/list item."""

    session_id: str
    command_session_id: str
    nick_name: str
    header_url: str
    session_type: int


class UploadedFile(BaseModel):
    fileId: str
    fileUrl: str


class CloudFile(BaseModel):
    """One /cloudSpace/list item."""

    fileId: str
    fileName: str
    fileSize: str = Field(description='human readable, e.g. "3.88MB"')
    createTime: str
    fileUrl: str
    format: str


class TrainingTask(BaseModel):
    """One /aiTrainingGround/list item."""

    fileId: str
    fileName: str
    beBeingTrainedTime: str
    trainedStatus: int = Field(description="0 waiting, 1 training, 2 done, 3 failed")
    fileUrl: str
    errorMessage: str | None


class SpeechUrl(BaseModel):
    """/tts: the .mp3's URL once the audio is ready, "" until then (poll again with the same message)."""

    url: str


class VoiceInfo(BaseModel):
    """/trainingSpace/voiceInfo: a voice file and the text parsed from it."""

    fileId: str
    fileName: str
    fileUrl: str
    format: str
    durationMs: int = Field(description="the audio's length in ms, measured at upload")
    parseStatus: int = Field(description="0 not transcribed (voiceType 1), 1 transcribing, 2 done, 3 failed")
    text: str | None = Field(description="the transcript once parseStatus is 2, else null")
    errorMessage: str | None = Field(description="why transcription failed (parseStatus 3), else null")


class StockAnswer(BaseModel):
    """POST /stock/info's data: the Markdown answer, the model that wrote its analysis, credits and the request id."""

    answer: str
    model: str
    crystalStone: int = 0  # lbai's field names
    requestId: str
