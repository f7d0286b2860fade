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

class ObjectKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OBJECT_KIND_UNSPECIFIED: _ClassVar[ObjectKind]
    OBJECT_KIND_FILE: _ClassVar[ObjectKind]
    OBJECT_KIND_IMAGE: _ClassVar[ObjectKind]
    OBJECT_KIND_VOICE: _ClassVar[ObjectKind]
OBJECT_KIND_UNSPECIFIED: ObjectKind
OBJECT_KIND_FILE: ObjectKind
OBJECT_KIND_IMAGE: ObjectKind
OBJECT_KIND_VOICE: ObjectKind

class IngestIntent(_message.Message):
    __slots__ = ("index_name", "chunking_strategy")
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    CHUNKING_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    index_name: str
    chunking_strategy: str
    def __init__(self, index_name: _Optional[str] = ..., chunking_strategy: _Optional[str] = ...) -> None: ...

class PutObjectHeader(_message.Message):
    __slots__ = ("name", "folder", "kind", "content_type", "size", "cloud_space", "ingest", "transcribe", "sha256", "public_base_url", "allowed_formats", "unsupported_field")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FOLDER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    CLOUD_SPACE_FIELD_NUMBER: _ClassVar[int]
    INGEST_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIBE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_BASE_URL_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_FORMATS_FIELD_NUMBER: _ClassVar[int]
    UNSUPPORTED_FIELD_FIELD_NUMBER: _ClassVar[int]
    name: str
    folder: str
    kind: ObjectKind
    content_type: str
    size: int
    cloud_space: bool
    ingest: IngestIntent
    transcribe: bool
    sha256: str
    public_base_url: str
    allowed_formats: _containers.RepeatedScalarFieldContainer[str]
    unsupported_field: str
    def __init__(self, name: _Optional[str] = ..., folder: _Optional[str] = ..., kind: _Optional[_Union[ObjectKind, str]] = ..., content_type: _Optional[str] = ..., size: _Optional[int] = ..., cloud_space: _Optional[bool] = ..., ingest: _Optional[_Union[IngestIntent, _Mapping]] = ..., transcribe: _Optional[bool] = ..., sha256: _Optional[str] = ..., public_base_url: _Optional[str] = ..., allowed_formats: _Optional[_Iterable[str]] = ..., unsupported_field: _Optional[str] = ...) -> None: ...

class PutObjectChunk(_message.Message):
    __slots__ = ("header", "data")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    header: PutObjectHeader
    data: bytes
    def __init__(self, header: _Optional[_Union[PutObjectHeader, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class ObjectInfo(_message.Message):
    __slots__ = ("id", "object_name", "name", "folder", "kind", "content_type", "format", "size", "sha256", "cloud_space", "ingest_task_id", "ingest_index_name", "url", "url_expires_at", "user_id", "created_at", "parse_status", "transcribe_task_id", "transcript_status", "duration_ms", "transcript_error")
    ID_FIELD_NUMBER: _ClassVar[int]
    OBJECT_NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FOLDER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    CLOUD_SPACE_FIELD_NUMBER: _ClassVar[int]
    INGEST_TASK_ID_FIELD_NUMBER: _ClassVar[int]
    INGEST_INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    URL_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    PARSE_STATUS_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIBE_TASK_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPT_STATUS_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPT_ERROR_FIELD_NUMBER: _ClassVar[int]
    id: str
    object_name: str
    name: str
    folder: str
    kind: ObjectKind
    content_type: str
    format: str
    size: int
    sha256: str
    cloud_space: bool
    ingest_task_id: str
    ingest_index_name: str
    url: str
    url_expires_at: _timestamp_pb2.Timestamp
    user_id: int
    created_at: _timestamp_pb2.Timestamp
    parse_status: str
    transcribe_task_id: str
    transcript_status: str
    duration_ms: int
    transcript_error: str
    def __init__(self, id: _Optional[str] = ..., object_name: _Optional[str] = ..., name: _Optional[str] = ..., folder: _Optional[str] = ..., kind: _Optional[_Union[ObjectKind, str]] = ..., content_type: _Optional[str] = ..., format: _Optional[str] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ..., cloud_space: _Optional[bool] = ..., ingest_task_id: _Optional[str] = ..., ingest_index_name: _Optional[str] = ..., url: _Optional[str] = ..., url_expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., user_id: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., parse_status: _Optional[str] = ..., transcribe_task_id: _Optional[str] = ..., transcript_status: _Optional[str] = ..., duration_ms: _Optional[int] = ..., transcript_error: _Optional[str] = ...) -> None: ...

class SetTranscriptRequest(_message.Message):
    __slots__ = ("object_id", "text", "language", "duration_ms", "error")
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    object_id: str
    text: str
    language: str
    duration_ms: int
    error: str
    def __init__(self, object_id: _Optional[str] = ..., text: _Optional[str] = ..., language: _Optional[str] = ..., duration_ms: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class ObjectRef(_message.Message):
    __slots__ = ("id", "object_name")
    ID_FIELD_NUMBER: _ClassVar[int]
    OBJECT_NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    object_name: str
    def __init__(self, id: _Optional[str] = ..., object_name: _Optional[str] = ...) -> None: ...

class GetObjectRequest(_message.Message):
    __slots__ = ("ref", "include_url", "expires_seconds", "public_base_url")
    REF_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_URL_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_BASE_URL_FIELD_NUMBER: _ClassVar[int]
    ref: ObjectRef
    include_url: bool
    expires_seconds: int
    public_base_url: str
    def __init__(self, ref: _Optional[_Union[ObjectRef, _Mapping]] = ..., include_url: _Optional[bool] = ..., expires_seconds: _Optional[int] = ..., public_base_url: _Optional[str] = ...) -> None: ...

class ReadObjectRequest(_message.Message):
    __slots__ = ("ref", "signed_token", "offset", "length")
    REF_FIELD_NUMBER: _ClassVar[int]
    SIGNED_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    ref: ObjectRef
    signed_token: str
    offset: int
    length: int
    def __init__(self, ref: _Optional[_Union[ObjectRef, _Mapping]] = ..., signed_token: _Optional[str] = ..., offset: _Optional[int] = ..., length: _Optional[int] = ...) -> None: ...

class ReadObjectResponse(_message.Message):
    __slots__ = ("info", "data", "attachment")
    INFO_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    ATTACHMENT_FIELD_NUMBER: _ClassVar[int]
    info: ObjectInfo
    data: bytes
    attachment: bool
    def __init__(self, info: _Optional[_Union[ObjectInfo, _Mapping]] = ..., data: _Optional[bytes] = ..., attachment: _Optional[bool] = ...) -> None: ...

class ListObjectsRequest(_message.Message):
    __slots__ = ("prefix", "kind", "cloud_space_only", "include_urls", "expires_seconds", "page", "public_base_url")
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CLOUD_SPACE_ONLY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_URLS_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_BASE_URL_FIELD_NUMBER: _ClassVar[int]
    prefix: str
    kind: ObjectKind
    cloud_space_only: bool
    include_urls: bool
    expires_seconds: int
    page: _common_pb2.PageRequest
    public_base_url: str
    def __init__(self, prefix: _Optional[str] = ..., kind: _Optional[_Union[ObjectKind, str]] = ..., cloud_space_only: _Optional[bool] = ..., include_urls: _Optional[bool] = ..., expires_seconds: _Optional[int] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., public_base_url: _Optional[str] = ...) -> None: ...

class ListObjectsResponse(_message.Message):
    __slots__ = ("objects", "page")
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    objects: _containers.RepeatedCompositeFieldContainer[ObjectInfo]
    page: _common_pb2.PageInfo
    def __init__(self, objects: _Optional[_Iterable[_Union[ObjectInfo, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class DeleteObjectsRequest(_message.Message):
    __slots__ = ("refs",)
    REFS_FIELD_NUMBER: _ClassVar[int]
    refs: _containers.RepeatedCompositeFieldContainer[ObjectRef]
    def __init__(self, refs: _Optional[_Iterable[_Union[ObjectRef, _Mapping]]] = ...) -> None: ...

class DeleteObjectsResponse(_message.Message):
    __slots__ = ("deleted_count", "deleted_ids")
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DELETED_IDS_FIELD_NUMBER: _ClassVar[int]
    deleted_count: int
    deleted_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, deleted_count: _Optional[int] = ..., deleted_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class PresignUrlRequest(_message.Message):
    __slots__ = ("ref", "expires_seconds", "download", "public_base_url")
    REF_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_SECONDS_FIELD_NUMBER: _ClassVar[int]
    DOWNLOAD_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_BASE_URL_FIELD_NUMBER: _ClassVar[int]
    ref: ObjectRef
    expires_seconds: int
    download: bool
    public_base_url: str
    def __init__(self, ref: _Optional[_Union[ObjectRef, _Mapping]] = ..., expires_seconds: _Optional[int] = ..., download: _Optional[bool] = ..., public_base_url: _Optional[str] = ...) -> None: ...

class PresignedUrl(_message.Message):
    __slots__ = ("object_id", "object_name", "url", "expires_at")
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    OBJECT_NAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    object_id: str
    object_name: str
    url: str
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, object_id: _Optional[str] = ..., object_name: _Optional[str] = ..., url: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BatchPresignRequest(_message.Message):
    __slots__ = ("refs", "expires_seconds", "download", "public_base_url")
    REFS_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_SECONDS_FIELD_NUMBER: _ClassVar[int]
    DOWNLOAD_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_BASE_URL_FIELD_NUMBER: _ClassVar[int]
    refs: _containers.RepeatedCompositeFieldContainer[ObjectRef]
    expires_seconds: int
    download: bool
    public_base_url: str
    def __init__(self, refs: _Optional[_Iterable[_Union[ObjectRef, _Mapping]]] = ..., expires_seconds: _Optional[int] = ..., download: _Optional[bool] = ..., public_base_url: _Optional[str] = ...) -> None: ...

class BatchPresignEntry(_message.Message):
    __slots__ = ("object_name", "object_id", "success", "url", "error")
    OBJECT_NAME_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    object_name: str
    object_id: str
    success: bool
    url: str
    error: str
    def __init__(self, object_name: _Optional[str] = ..., object_id: _Optional[str] = ..., success: _Optional[bool] = ..., url: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class BatchPresignResponse(_message.Message):
    __slots__ = ("urls",)
    URLS_FIELD_NUMBER: _ClassVar[int]
    urls: _containers.RepeatedCompositeFieldContainer[BatchPresignEntry]
    def __init__(self, urls: _Optional[_Iterable[_Union[BatchPresignEntry, _Mapping]]] = ...) -> None: ...

class FetchImageRequest(_message.Message):
    __slots__ = ("url", "max_bytes")
    URL_FIELD_NUMBER: _ClassVar[int]
    MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    url: str
    max_bytes: int
    def __init__(self, url: _Optional[str] = ..., max_bytes: _Optional[int] = ...) -> None: ...

class FetchImageResponse(_message.Message):
    __slots__ = ("success", "data", "content_type", "error")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    success: bool
    data: bytes
    content_type: str
    error: str
    def __init__(self, success: _Optional[bool] = ..., data: _Optional[bytes] = ..., content_type: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class ExtractTextRequest(_message.Message):
    __slots__ = ("object_ids", "query", "max_chars", "urls")
    OBJECT_IDS_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    MAX_CHARS_FIELD_NUMBER: _ClassVar[int]
    URLS_FIELD_NUMBER: _ClassVar[int]
    object_ids: _containers.RepeatedScalarFieldContainer[str]
    query: str
    max_chars: int
    urls: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, object_ids: _Optional[_Iterable[str]] = ..., query: _Optional[str] = ..., max_chars: _Optional[int] = ..., urls: _Optional[_Iterable[str]] = ...) -> None: ...

class ExtractProgress(_message.Message):
    __slots__ = ("object_id", "filename", "stage", "percent")
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    object_id: str
    filename: str
    stage: str
    percent: int
    def __init__(self, object_id: _Optional[str] = ..., filename: _Optional[str] = ..., stage: _Optional[str] = ..., percent: _Optional[int] = ...) -> None: ...

class ExtractedText(_message.Message):
    __slots__ = ("object_id", "filename", "text", "truncated")
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    object_id: str
    filename: str
    text: str
    truncated: bool
    def __init__(self, object_id: _Optional[str] = ..., filename: _Optional[str] = ..., text: _Optional[str] = ..., truncated: _Optional[bool] = ...) -> None: ...

class ExtractError(_message.Message):
    __slots__ = ("object_id", "filename", "reason", "message")
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    object_id: str
    filename: str
    reason: str
    message: str
    def __init__(self, object_id: _Optional[str] = ..., filename: _Optional[str] = ..., reason: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class ExtractTextEvent(_message.Message):
    __slots__ = ("progress", "text", "error")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    progress: ExtractProgress
    text: ExtractedText
    error: ExtractError
    def __init__(self, progress: _Optional[_Union[ExtractProgress, _Mapping]] = ..., text: _Optional[_Union[ExtractedText, _Mapping]] = ..., error: _Optional[_Union[ExtractError, _Mapping]] = ...) -> None: ...

class Limits(_message.Message):
    __slots__ = ("max_file_bytes", "max_image_bytes", "max_voice_bytes", "max_images_per_message", "max_files_per_upload", "max_presign_seconds", "file_formats", "image_formats", "voice_formats")
    MAX_FILE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_IMAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_VOICE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_IMAGES_PER_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    MAX_FILES_PER_UPLOAD_FIELD_NUMBER: _ClassVar[int]
    MAX_PRESIGN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    FILE_FORMATS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FORMATS_FIELD_NUMBER: _ClassVar[int]
    VOICE_FORMATS_FIELD_NUMBER: _ClassVar[int]
    max_file_bytes: int
    max_image_bytes: int
    max_voice_bytes: int
    max_images_per_message: int
    max_files_per_upload: int
    max_presign_seconds: int
    file_formats: _containers.RepeatedScalarFieldContainer[str]
    image_formats: _containers.RepeatedScalarFieldContainer[str]
    voice_formats: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, max_file_bytes: _Optional[int] = ..., max_image_bytes: _Optional[int] = ..., max_voice_bytes: _Optional[int] = ..., max_images_per_message: _Optional[int] = ..., max_files_per_upload: _Optional[int] = ..., max_presign_seconds: _Optional[int] = ..., file_formats: _Optional[_Iterable[str]] = ..., image_formats: _Optional[_Iterable[str]] = ..., voice_formats: _Optional[_Iterable[str]] = ...) -> None: ...
