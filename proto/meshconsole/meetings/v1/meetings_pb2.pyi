import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from meshconsole.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MeetingState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEETING_STATE_UNSPECIFIED: _ClassVar[MeetingState]
    MEETING_STATE_IN_PROGRESS: _ClassVar[MeetingState]
    MEETING_STATE_ORGANIZING: _ClassVar[MeetingState]
    MEETING_STATE_COMPLETED: _ClassVar[MeetingState]
    MEETING_STATE_FAILED: _ClassVar[MeetingState]

class DocType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DOC_TYPE_UNSPECIFIED: _ClassVar[DocType]
    DOC_TYPE_TRANSCRIPT: _ClassVar[DocType]
    DOC_TYPE_MINUTES: _ClassVar[DocType]
MEETING_STATE_UNSPECIFIED: MeetingState
MEETING_STATE_IN_PROGRESS: MeetingState
MEETING_STATE_ORGANIZING: MeetingState
MEETING_STATE_COMPLETED: MeetingState
MEETING_STATE_FAILED: MeetingState
DOC_TYPE_UNSPECIFIED: DocType
DOC_TYPE_TRANSCRIPT: DocType
DOC_TYPE_MINUTES: DocType

class Meeting(_message.Message):
    __slots__ = ("meeting_id", "meeting_name", "language", "auto_organize", "state", "transcript_state", "minutes_state", "duration_ms", "chunk_count", "create_time", "last_upload_time", "closed_time", "error")
    MEETING_ID_FIELD_NUMBER: _ClassVar[int]
    MEETING_NAME_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    AUTO_ORGANIZE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPT_STATE_FIELD_NUMBER: _ClassVar[int]
    MINUTES_STATE_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    CHUNK_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_UPLOAD_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSED_TIME_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    meeting_id: str
    meeting_name: str
    language: str
    auto_organize: bool
    state: MeetingState
    transcript_state: MeetingState
    minutes_state: MeetingState
    duration_ms: int
    chunk_count: int
    create_time: _timestamp_pb2.Timestamp
    last_upload_time: _timestamp_pb2.Timestamp
    closed_time: _timestamp_pb2.Timestamp
    error: str
    def __init__(self, meeting_id: _Optional[str] = ..., meeting_name: _Optional[str] = ..., language: _Optional[str] = ..., auto_organize: _Optional[bool] = ..., state: _Optional[_Union[MeetingState, str]] = ..., transcript_state: _Optional[_Union[MeetingState, str]] = ..., minutes_state: _Optional[_Union[MeetingState, str]] = ..., duration_ms: _Optional[int] = ..., chunk_count: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_upload_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closed_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[str] = ...) -> None: ...

class CreateMeetingRequest(_message.Message):
    __slots__ = ("meeting_name", "language", "auto_organize")
    MEETING_NAME_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    AUTO_ORGANIZE_FIELD_NUMBER: _ClassVar[int]
    meeting_name: str
    language: str
    auto_organize: bool
    def __init__(self, meeting_name: _Optional[str] = ..., language: _Optional[str] = ..., auto_organize: _Optional[bool] = ...) -> None: ...

class UploadChunksRequest(_message.Message):
    __slots__ = ("meeting_id", "voice_file_ids", "is_end")
    MEETING_ID_FIELD_NUMBER: _ClassVar[int]
    VOICE_FILE_IDS_FIELD_NUMBER: _ClassVar[int]
    IS_END_FIELD_NUMBER: _ClassVar[int]
    meeting_id: str
    voice_file_ids: _containers.RepeatedScalarFieldContainer[str]
    is_end: bool
    def __init__(self, meeting_id: _Optional[str] = ..., voice_file_ids: _Optional[_Iterable[str]] = ..., is_end: _Optional[bool] = ...) -> None: ...

class ShowMeetingRequest(_message.Message):
    __slots__ = ("meeting_id", "doc_type", "forced_shutdown")
    MEETING_ID_FIELD_NUMBER: _ClassVar[int]
    DOC_TYPE_FIELD_NUMBER: _ClassVar[int]
    FORCED_SHUTDOWN_FIELD_NUMBER: _ClassVar[int]
    meeting_id: str
    doc_type: DocType
    forced_shutdown: bool
    def __init__(self, meeting_id: _Optional[str] = ..., doc_type: _Optional[_Union[DocType, str]] = ..., forced_shutdown: _Optional[bool] = ...) -> None: ...

class MeetingDoc(_message.Message):
    __slots__ = ("meeting_id", "doc_type", "doc", "state", "error")
    MEETING_ID_FIELD_NUMBER: _ClassVar[int]
    DOC_TYPE_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    meeting_id: str
    doc_type: DocType
    doc: str
    state: MeetingState
    error: str
    def __init__(self, meeting_id: _Optional[str] = ..., doc_type: _Optional[_Union[DocType, str]] = ..., doc: _Optional[str] = ..., state: _Optional[_Union[MeetingState, str]] = ..., error: _Optional[str] = ...) -> None: ...

class ListMeetingsRequest(_message.Message):
    __slots__ = ("page",)
    PAGE_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListMeetingsResponse(_message.Message):
    __slots__ = ("meetings", "page")
    MEETINGS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    meetings: _containers.RepeatedCompositeFieldContainer[Meeting]
    page: _common_pb2.PageInfo
    def __init__(self, meetings: _Optional[_Iterable[_Union[Meeting, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class CloseMeetingRequest(_message.Message):
    __slots__ = ("meeting_id", "organize")
    MEETING_ID_FIELD_NUMBER: _ClassVar[int]
    ORGANIZE_FIELD_NUMBER: _ClassVar[int]
    meeting_id: str
    organize: bool
    def __init__(self, meeting_id: _Optional[str] = ..., organize: _Optional[bool] = ...) -> None: ...
