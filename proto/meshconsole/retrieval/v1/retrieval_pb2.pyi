import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from meshconsole.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SearchMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEARCH_MODE_UNSPECIFIED: _ClassVar[SearchMode]
    SEARCH_MODE_ACCURATE: _ClassVar[SearchMode]
    SEARCH_MODE_SEMANTIC: _ClassVar[SearchMode]
    SEARCH_MODE_HYBRID: _ClassVar[SearchMode]

class Fusion(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FUSION_UNSPECIFIED: _ClassVar[Fusion]
    FUSION_NORMALIZE: _ClassVar[Fusion]
    FUSION_RRF: _ClassVar[Fusion]

class TaskStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_STATUS_UNSPECIFIED: _ClassVar[TaskStatus]
    TASK_STATUS_WAIT_FOR_PROCESSING: _ClassVar[TaskStatus]
    TASK_STATUS_PROCESSING: _ClassVar[TaskStatus]
    TASK_STATUS_WAIT_FOR_FORWARDING: _ClassVar[TaskStatus]
    TASK_STATUS_FORWARDING: _ClassVar[TaskStatus]
    TASK_STATUS_COMPLETED: _ClassVar[TaskStatus]
    TASK_STATUS_FAILED: _ClassVar[TaskStatus]

class TrainingView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRAINING_VIEW_UNSPECIFIED: _ClassVar[TrainingView]
    TRAINING_VIEW_MANAGE: _ClassVar[TrainingView]
    TRAINING_VIEW_RESULTS: _ClassVar[TrainingView]
SEARCH_MODE_UNSPECIFIED: SearchMode
SEARCH_MODE_ACCURATE: SearchMode
SEARCH_MODE_SEMANTIC: SearchMode
SEARCH_MODE_HYBRID: SearchMode
FUSION_UNSPECIFIED: Fusion
FUSION_NORMALIZE: Fusion
FUSION_RRF: Fusion
TASK_STATUS_UNSPECIFIED: TaskStatus
TASK_STATUS_WAIT_FOR_PROCESSING: TaskStatus
TASK_STATUS_PROCESSING: TaskStatus
TASK_STATUS_WAIT_FOR_FORWARDING: TaskStatus
TASK_STATUS_FORWARDING: TaskStatus
TASK_STATUS_COMPLETED: TaskStatus
TASK_STATUS_FAILED: TaskStatus
TRAINING_VIEW_UNSPECIFIED: TrainingView
TRAINING_VIEW_MANAGE: TrainingView
TRAINING_VIEW_RESULTS: TrainingView

class IndexStats(_message.Message):
    __slots__ = ("docs", "size_bytes", "size", "sources")
    DOCS_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    docs: int
    size_bytes: int
    size: str
    sources: int
    def __init__(self, docs: _Optional[int] = ..., size_bytes: _Optional[int] = ..., size: _Optional[str] = ..., sources: _Optional[int] = ...) -> None: ...

class CreateIndexRequest(_message.Message):
    __slots__ = ("index_name", "embedding_dim", "embedding_model", "app_id")
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_DIM_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_MODEL_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    index_name: str
    embedding_dim: int
    embedding_model: str
    app_id: str
    def __init__(self, index_name: _Optional[str] = ..., embedding_dim: _Optional[int] = ..., embedding_model: _Optional[str] = ..., app_id: _Optional[str] = ...) -> None: ...

class CreateIndexResponse(_message.Message):
    __slots__ = ("index_name", "embedding_dim", "created")
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_DIM_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    index_name: str
    embedding_dim: int
    created: bool
    def __init__(self, index_name: _Optional[str] = ..., embedding_dim: _Optional[int] = ..., created: _Optional[bool] = ...) -> None: ...

class DeleteIndexRequest(_message.Message):
    __slots__ = ("index_name",)
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    index_name: str
    def __init__(self, index_name: _Optional[str] = ...) -> None: ...

class ListIndicesRequest(_message.Message):
    __slots__ = ("pattern", "include_stats")
    PATTERN_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_STATS_FIELD_NUMBER: _ClassVar[int]
    pattern: str
    include_stats: bool
    def __init__(self, pattern: _Optional[str] = ..., include_stats: _Optional[bool] = ...) -> None: ...

class IndexSummary(_message.Message):
    __slots__ = ("name", "stats", "embedding_dim")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_DIM_FIELD_NUMBER: _ClassVar[int]
    name: str
    stats: IndexStats
    embedding_dim: int
    def __init__(self, name: _Optional[str] = ..., stats: _Optional[_Union[IndexStats, _Mapping]] = ..., embedding_dim: _Optional[int] = ...) -> None: ...

class ListIndicesResponse(_message.Message):
    __slots__ = ("indices",)
    INDICES_FIELD_NUMBER: _ClassVar[int]
    indices: _containers.RepeatedCompositeFieldContainer[IndexSummary]
    def __init__(self, indices: _Optional[_Iterable[_Union[IndexSummary, _Mapping]]] = ...) -> None: ...

class GetIndexInfoRequest(_message.Message):
    __slots__ = ("index_name", "include_files", "include_chunks")
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_FILES_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_CHUNKS_FIELD_NUMBER: _ClassVar[int]
    index_name: str
    include_files: bool
    include_chunks: bool
    def __init__(self, index_name: _Optional[str] = ..., include_files: _Optional[bool] = ..., include_chunks: _Optional[bool] = ...) -> None: ...

class Chunk(_message.Message):
    __slots__ = ("id", "title", "content", "position", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    content: str
    position: int
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., content: _Optional[str] = ..., position: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class IndexedFile(_message.Message):
    __slots__ = ("path_or_url", "file", "file_size", "create_time", "status", "chunks", "chunks_count")
    PATH_OR_URL_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    FILE_SIZE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_COUNT_FIELD_NUMBER: _ClassVar[int]
    path_or_url: str
    file: str
    file_size: int
    create_time: _timestamp_pb2.Timestamp
    status: str
    chunks: _containers.RepeatedCompositeFieldContainer[Chunk]
    chunks_count: int
    def __init__(self, path_or_url: _Optional[str] = ..., file: _Optional[str] = ..., file_size: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[str] = ..., chunks: _Optional[_Iterable[_Union[Chunk, _Mapping]]] = ..., chunks_count: _Optional[int] = ...) -> None: ...

class IndexInfo(_message.Message):
    __slots__ = ("index_name", "base_info", "query_time_ms", "hits", "fields", "files", "embedding_dim", "embedding_model")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    BASE_INFO_FIELD_NUMBER: _ClassVar[int]
    QUERY_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    HITS_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_DIM_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_MODEL_FIELD_NUMBER: _ClassVar[int]
    index_name: str
    base_info: IndexStats
    query_time_ms: float
    hits: int
    fields: _containers.ScalarMap[str, str]
    files: _containers.RepeatedCompositeFieldContainer[IndexedFile]
    embedding_dim: int
    embedding_model: str
    def __init__(self, index_name: _Optional[str] = ..., base_info: _Optional[_Union[IndexStats, _Mapping]] = ..., query_time_ms: _Optional[float] = ..., hits: _Optional[int] = ..., fields: _Optional[_Mapping[str, str]] = ..., files: _Optional[_Iterable[_Union[IndexedFile, _Mapping]]] = ..., embedding_dim: _Optional[int] = ..., embedding_model: _Optional[str] = ...) -> None: ...

class HealthResponse(_message.Message):
    __slots__ = ("status", "backend", "connected", "indices_count")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    INDICES_COUNT_FIELD_NUMBER: _ClassVar[int]
    status: str
    backend: str
    connected: bool
    indices_count: int
    def __init__(self, status: _Optional[str] = ..., backend: _Optional[str] = ..., connected: _Optional[bool] = ..., indices_count: _Optional[int] = ...) -> None: ...

class DocumentMetadata(_message.Message):
    __slots__ = ("filename", "title", "languages", "author", "date", "file_size", "creation_date", "extra")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    FILE_SIZE_FIELD_NUMBER: _ClassVar[int]
    CREATION_DATE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    filename: str
    title: str
    languages: _containers.RepeatedScalarFieldContainer[str]
    author: str
    date: str
    file_size: int
    creation_date: str
    extra: _struct_pb2.Struct
    def __init__(self, filename: _Optional[str] = ..., title: _Optional[str] = ..., languages: _Optional[_Iterable[str]] = ..., author: _Optional[str] = ..., date: _Optional[str] = ..., file_size: _Optional[int] = ..., creation_date: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class DocumentResult(_message.Message):
    __slots__ = ("metadata", "source", "text", "source_type")
    METADATA_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    metadata: DocumentMetadata
    source: str
    text: str
    source_type: str
    def __init__(self, metadata: _Optional[_Union[DocumentMetadata, _Mapping]] = ..., source: _Optional[str] = ..., text: _Optional[str] = ..., source_type: _Optional[str] = ...) -> None: ...

class IndexDocumentsRequest(_message.Message):
    __slots__ = ("index_name", "task_id", "results", "chunking_strategy")
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    CHUNKING_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    index_name: str
    task_id: str
    results: _containers.RepeatedCompositeFieldContainer[DocumentResult]
    chunking_strategy: str
    def __init__(self, index_name: _Optional[str] = ..., task_id: _Optional[str] = ..., results: _Optional[_Iterable[_Union[DocumentResult, _Mapping]]] = ..., chunking_strategy: _Optional[str] = ...) -> None: ...

class IndexDocumentsResponse(_message.Message):
    __slots__ = ("total_indexed", "total_submitted")
    TOTAL_INDEXED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    total_indexed: int
    total_submitted: int
    def __init__(self, total_indexed: _Optional[int] = ..., total_submitted: _Optional[int] = ...) -> None: ...

class DeleteDocumentsRequest(_message.Message):
    __slots__ = ("index_name", "path_or_url")
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    PATH_OR_URL_FIELD_NUMBER: _ClassVar[int]
    index_name: str
    path_or_url: str
    def __init__(self, index_name: _Optional[str] = ..., path_or_url: _Optional[str] = ...) -> None: ...

class DeleteDocumentsResponse(_message.Message):
    __slots__ = ("deleted_count",)
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    deleted_count: int
    def __init__(self, deleted_count: _Optional[int] = ...) -> None: ...

class DeleteBySourceRequest(_message.Message):
    __slots__ = ("source_ids",)
    SOURCE_IDS_FIELD_NUMBER: _ClassVar[int]
    source_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, source_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DeleteBySourceResponse(_message.Message):
    __slots__ = ("deleted_count",)
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    deleted_count: int
    def __init__(self, deleted_count: _Optional[int] = ...) -> None: ...

class GetParsedTextRequest(_message.Message):
    __slots__ = ("object_ids", "max_chars")
    OBJECT_IDS_FIELD_NUMBER: _ClassVar[int]
    MAX_CHARS_FIELD_NUMBER: _ClassVar[int]
    object_ids: _containers.RepeatedScalarFieldContainer[str]
    max_chars: int
    def __init__(self, object_ids: _Optional[_Iterable[str]] = ..., max_chars: _Optional[int] = ...) -> None: ...

class ParsedText(_message.Message):
    __slots__ = ("object_id", "file_name", "text", "truncated", "error")
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    object_id: str
    file_name: str
    text: str
    truncated: bool
    error: str
    def __init__(self, object_id: _Optional[str] = ..., file_name: _Optional[str] = ..., text: _Optional[str] = ..., truncated: _Optional[bool] = ..., error: _Optional[str] = ...) -> None: ...

class GetParsedTextResponse(_message.Message):
    __slots__ = ("texts",)
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    texts: _containers.RepeatedCompositeFieldContainer[ParsedText]
    def __init__(self, texts: _Optional[_Iterable[_Union[ParsedText, _Mapping]]] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("mode", "index_names", "query", "top_k", "weight_accurate", "fusion", "score_threshold", "source_ids")
    MODE_FIELD_NUMBER: _ClassVar[int]
    INDEX_NAMES_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_ACCURATE_FIELD_NUMBER: _ClassVar[int]
    FUSION_FIELD_NUMBER: _ClassVar[int]
    SCORE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    SOURCE_IDS_FIELD_NUMBER: _ClassVar[int]
    mode: SearchMode
    index_names: _containers.RepeatedScalarFieldContainer[str]
    query: str
    top_k: int
    weight_accurate: float
    fusion: Fusion
    score_threshold: float
    source_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, mode: _Optional[_Union[SearchMode, str]] = ..., index_names: _Optional[_Iterable[str]] = ..., query: _Optional[str] = ..., top_k: _Optional[int] = ..., weight_accurate: _Optional[float] = ..., fusion: _Optional[_Union[Fusion, str]] = ..., score_threshold: _Optional[float] = ..., source_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ScoreDetails(_message.Message):
    __slots__ = ("accurate", "semantic")
    ACCURATE_FIELD_NUMBER: _ClassVar[int]
    SEMANTIC_FIELD_NUMBER: _ClassVar[int]
    accurate: float
    semantic: float
    def __init__(self, accurate: _Optional[float] = ..., semantic: _Optional[float] = ...) -> None: ...

class SearchHit(_message.Message):
    __slots__ = ("id", "title", "content", "score", "index", "score_details", "source_id", "filename", "source_type", "position", "metadata")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    SCORE_DETAILS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    content: str
    score: float
    index: str
    score_details: ScoreDetails
    source_id: str
    filename: str
    source_type: str
    position: int
    metadata: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., content: _Optional[str] = ..., score: _Optional[float] = ..., index: _Optional[str] = ..., score_details: _Optional[_Union[ScoreDetails, _Mapping]] = ..., source_id: _Optional[str] = ..., filename: _Optional[str] = ..., source_type: _Optional[str] = ..., position: _Optional[int] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("results", "total", "query_time_ms")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    QUERY_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[SearchHit]
    total: int
    query_time_ms: float
    def __init__(self, results: _Optional[_Iterable[_Union[SearchHit, _Mapping]]] = ..., total: _Optional[int] = ..., query_time_ms: _Optional[float] = ...) -> None: ...

class TaskSource(_message.Message):
    __slots__ = ("source", "source_type", "chunking_strategy", "index_name", "additional_params")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    CHUNKING_STRATEGY_FIELD_NUMBER: _ClassVar[int]
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    ADDITIONAL_PARAMS_FIELD_NUMBER: _ClassVar[int]
    source: str
    source_type: str
    chunking_strategy: str
    index_name: str
    additional_params: _struct_pb2.Struct
    def __init__(self, source: _Optional[str] = ..., source_type: _Optional[str] = ..., chunking_strategy: _Optional[str] = ..., index_name: _Optional[str] = ..., additional_params: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Task(_message.Message):
    __slots__ = ("id", "status", "source", "error", "attempts", "chunks_indexed", "results", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CHUNKS_INDEXED_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: TaskStatus
    source: TaskSource
    error: str
    attempts: int
    chunks_indexed: int
    results: _struct_pb2.Struct
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., status: _Optional[_Union[TaskStatus, str]] = ..., source: _Optional[_Union[TaskSource, _Mapping]] = ..., error: _Optional[str] = ..., attempts: _Optional[int] = ..., chunks_indexed: _Optional[int] = ..., results: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateTaskRequest(_message.Message):
    __slots__ = ("source",)
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    source: TaskSource
    def __init__(self, source: _Optional[_Union[TaskSource, _Mapping]] = ...) -> None: ...

class CreateTasksRequest(_message.Message):
    __slots__ = ("sources",)
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    sources: _containers.RepeatedCompositeFieldContainer[TaskSource]
    def __init__(self, sources: _Optional[_Iterable[_Union[TaskSource, _Mapping]]] = ...) -> None: ...

class CreateTasksResponse(_message.Message):
    __slots__ = ("task_ids",)
    TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    task_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, task_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class GetTaskRequest(_message.Message):
    __slots__ = ("task_id", "include_results")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_RESULTS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    include_results: bool
    def __init__(self, task_id: _Optional[str] = ..., include_results: _Optional[bool] = ...) -> None: ...

class ListTasksRequest(_message.Message):
    __slots__ = ("index_name", "status", "page")
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    index_name: str
    status: TaskStatus
    page: _common_pb2.PageRequest
    def __init__(self, index_name: _Optional[str] = ..., status: _Optional[_Union[TaskStatus, str]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListTasksResponse(_message.Message):
    __slots__ = ("tasks", "page")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[Task]
    page: _common_pb2.PageInfo
    def __init__(self, tasks: _Optional[_Iterable[_Union[Task, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class ListIndexTasksRequest(_message.Message):
    __slots__ = ("index_name", "active_only")
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ONLY_FIELD_NUMBER: _ClassVar[int]
    index_name: str
    active_only: bool
    def __init__(self, index_name: _Optional[str] = ..., active_only: _Optional[bool] = ...) -> None: ...

class SourceStatus(_message.Message):
    __slots__ = ("path_or_url", "status", "task_id")
    PATH_OR_URL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    path_or_url: str
    status: TaskStatus
    task_id: str
    def __init__(self, path_or_url: _Optional[str] = ..., status: _Optional[_Union[TaskStatus, str]] = ..., task_id: _Optional[str] = ...) -> None: ...

class ListIndexTasksResponse(_message.Message):
    __slots__ = ("index_name", "files")
    INDEX_NAME_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    index_name: str
    files: _containers.RepeatedCompositeFieldContainer[SourceStatus]
    def __init__(self, index_name: _Optional[str] = ..., files: _Optional[_Iterable[_Union[SourceStatus, _Mapping]]] = ...) -> None: ...

class SearchResourcesRequest(_message.Message):
    __slots__ = ("resource_keyword", "rag_enhance", "page")
    RESOURCE_KEYWORD_FIELD_NUMBER: _ClassVar[int]
    RAG_ENHANCE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    resource_keyword: str
    rag_enhance: bool
    page: _common_pb2.PageRequest
    def __init__(self, resource_keyword: _Optional[str] = ..., rag_enhance: _Optional[bool] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ResourceHit(_message.Message):
    __slots__ = ("resource_id", "resource_name", "resource_format", "resource_size", "snippet", "score", "author_id", "create_time")
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_NAME_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FORMAT_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_SIZE_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    resource_id: str
    resource_name: str
    resource_format: str
    resource_size: int
    snippet: str
    score: float
    author_id: int
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, resource_id: _Optional[str] = ..., resource_name: _Optional[str] = ..., resource_format: _Optional[str] = ..., resource_size: _Optional[int] = ..., snippet: _Optional[str] = ..., score: _Optional[float] = ..., author_id: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SearchResourcesResponse(_message.Message):
    __slots__ = ("data", "author_ids", "total")
    DATA_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_IDS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    data: _containers.RepeatedCompositeFieldContainer[ResourceHit]
    author_ids: _containers.RepeatedScalarFieldContainer[int]
    total: int
    def __init__(self, data: _Optional[_Iterable[_Union[ResourceHit, _Mapping]]] = ..., author_ids: _Optional[_Iterable[int]] = ..., total: _Optional[int] = ...) -> None: ...

class RebuildResourcesRequest(_message.Message):
    __slots__ = ("resource_ids",)
    RESOURCE_IDS_FIELD_NUMBER: _ClassVar[int]
    resource_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, resource_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RebuildResourcesResponse(_message.Message):
    __slots__ = ("build_cnt",)
    BUILD_CNT_FIELD_NUMBER: _ClassVar[int]
    build_cnt: int
    def __init__(self, build_cnt: _Optional[int] = ...) -> None: ...

class TrainingItem(_message.Message):
    __slots__ = ("file_id", "object_id", "file_name", "status", "file_url", "error", "created_at")
    FILE_ID_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FILE_URL_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    file_id: str
    object_id: str
    file_name: str
    status: TaskStatus
    file_url: str
    error: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, file_id: _Optional[str] = ..., object_id: _Optional[str] = ..., file_name: _Optional[str] = ..., status: _Optional[_Union[TaskStatus, str]] = ..., file_url: _Optional[str] = ..., error: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AddTrainingRequest(_message.Message):
    __slots__ = ("object_id", "file_name")
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    object_id: str
    file_name: str
    def __init__(self, object_id: _Optional[str] = ..., file_name: _Optional[str] = ...) -> None: ...

class ListTrainingRequest(_message.Message):
    __slots__ = ("view", "page")
    VIEW_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    view: TrainingView
    page: _common_pb2.PageRequest
    def __init__(self, view: _Optional[_Union[TrainingView, str]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListTrainingResponse(_message.Message):
    __slots__ = ("items", "page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[TrainingItem]
    page: _common_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[TrainingItem, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class RetryTrainingRequest(_message.Message):
    __slots__ = ("file_id",)
    FILE_ID_FIELD_NUMBER: _ClassVar[int]
    file_id: str
    def __init__(self, file_id: _Optional[str] = ...) -> None: ...
