"""Nexent response models: field names and order exactly as the routes emit them (pydantic keeps declaration order)."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


def sse(description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for a route that streams server-sent events."""
    return {200: {"content": {"text/event-stream": {}}, "description": description}}


class _Model(BaseModel):
    model_config = ConfigDict(protected_namespaces=())


class Envelope(_Model, Generic[T]):
    """Conversation routes answer `{"code": 0, ...}`, model routes `{"code": 200, ...}`."""

    code: int
    message: str
    data: T


class Status(_Model):
    status: str
    message: str


class Success(_Model):
    success: bool
    message: str


# Agent and config


class ReloadConfig(Success):
    status: str


class McpServerItem(_Model):
    remote_mcp_server_name: str
    remote_mcp_server: str
    status: bool
    tools: list[str]


class McpServerList(_Model):
    remote_mcp_server_list: list[McpServerItem]
    status: str


class McpTools(_Model):
    tools: list[dict[str, Any]]
    status: str


class SavedConfig(_Model):
    message: str
    status: str


class LoadedConfig(_Model):
    config: dict[str, Any]


# Conversations


class ConversationItem(_Model):
    conversation_id: int
    conversation_title: str
    create_time: int
    update_time: int


class SearchScores(_Model):
    accuracy: float
    semantic: float


class SearchItem(_Model):
    title: str
    text: str
    source_type: str
    url: str
    filename: str
    published_date: str
    score: float
    score_details: SearchScores


class Sources(_Model):
    searches: list[SearchItem]
    images: list[str]


class MessageUnit(_Model):
    type: str
    content: str


class MinioFile(_Model):
    object_name: str
    name: str
    url: str


class UserEntry(_Model):
    role: str
    message: str
    message_id: str
    opinion_flag: None
    picture: list[str]
    search: list[SearchItem]
    minio_files: list[MinioFile]


class AssistantEntry(_Model):
    role: str
    message: list[MessageUnit]
    message_id: str
    opinion_flag: str | None
    picture: list[str]
    search: list[SearchItem]


class ConversationDetail(_Model):
    conversation_id: int
    create_time: int
    message: list[UserEntry | AssistantEntry]


# Models


class ModelName(_Model):
    model_name: str


class ModelStatus(ModelName):
    connect_status: str


class ModelItem(_Model):
    model_id: str
    model_name: str
    model_repo: str
    display_name: str
    model_type: str
    provider: str
    base_url: str
    api_key: str
    max_tokens: int
    embedding_dim: int
    connect_status: str
    is_default: bool
    is_platform: bool
    create_time: str
    update_time: str


class Health(_Model):
    status: str
    desc: str
    connect_status: str


class Connectivity(_Model):
    connectivity: bool
    message: str
    connect_status: str


class UpstreamModel(_Model):
    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    type: str
    description: str


# Files


class ProcessTasks(_Model):
    task_id: str
    task_ids: list[str]


class Uploaded(_Model):
    message: str
    uploaded_files: list[str]
    process_tasks: ProcessTasks
    file_ids: list[str]


class StoredFile(_Model):
    success: bool
    file_name: str
    object_name: str
    file_id: str
    size: int
    content_type: str
    url: str


class RefusedFile(_Model):
    success: bool
    file_name: str
    error: str


class StorageUploaded(_Model):
    message: str
    success_count: int
    failed_count: int
    results: list[StoredFile | RefusedFile]


class StorageEntry(_Model):
    name: str
    file_name: str
    file_id: str
    size: int
    content_type: str
    last_modified: str
    url: str | None = None  # only with include_urls


class StorageList(_Model):
    total: int
    files: list[StorageEntry]


class StorageUrl(_Model):
    success: bool
    url: str
    expires: str


class BatchUrl(_Model):
    object_name: str
    success: bool
    url: str | None = None  # on success
    error: str | None = None  # on failure


class BatchUrls(_Model):
    urls: list[BatchUrl]


class ProxiedImage(_Model):
    success: bool
    error: str | None = None  # only on failure
    base64: str
    content_type: str


# Tasks


class TaskCreated(_Model):
    task_id: str


class TasksCreated(_Model):
    task_ids: list[str]


class TaskView(_Model):
    id: str
    status: str
    created_at: str
    updated_at: str
    error: str
    source: str
    index_name: str
    results: dict[str, Any] | None = None  # only in /details


class TaskList(_Model):
    tasks: list[TaskView]


class SourceStatus(_Model):
    path_or_url: str
    status: str
    task_id: str


class IndexTasks(_Model):
    index_name: str
    files: list[SourceStatus]


# Indices


class IndicesHealth(_Model):
    status: str
    elasticsearch: str
    backend: str
    indices_count: int


class IndexStats(_Model):
    docs: int
    size: str


class IndexStatsItem(_Model):
    name: str
    stats: IndexStats


class IndexList(_Model):
    indices: list[str]
    count: int
    indices_info: list[IndexStatsItem] | None = None  # only with include_stats


class HitScores(_Model):
    accurate: float
    semantic: float


class SearchHit(_Model):
    id: str
    title: str
    content: str
    score: float
    index: str
    path_or_url: str
    filename: str
    score_details: HitScores | None = None  # hybrid only


class SearchResults(_Model):
    results: list[SearchHit]
    total: int
    query_time_ms: float


class IndexCreated(Status):
    embedding_dim: int


class BaseInfo(_Model):
    docs: int
    size: str
    embedding_dim: int
    embedding_model: str


class SearchPerformance(_Model):
    query_time: float
    hits: int


class FieldType(_Model):
    type: str


class ChunkView(_Model):
    id: str
    title: str
    content: str
    create_time: str


class IndexedFileView(_Model):
    path_or_url: str
    file: str
    file_size: int
    create_time: str
    status: str
    chunks_count: int
    chunks: list[ChunkView] | None = None  # only with include_chunks


class IndexInfo(_Model):
    base_info: BaseInfo
    search_performance: SearchPerformance
    fields: dict[str, FieldType]
    files: list[IndexedFileView] | None = None  # only with include_files


class Indexed(Success):
    total_indexed: int
    total_submitted: int


class DocumentsDeleted(_Model):
    status: str
    deleted_count: int
