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

class Origin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORIGIN_UNSPECIFIED: _ClassVar[Origin]
    ORIGIN_DIFY: _ClassVar[Origin]
    ORIGIN_NEXTCONSOLE: _ClassVar[Origin]
    ORIGIN_NEXENT: _ClassVar[Origin]
    ORIGIN_LBAI: _ClassVar[Origin]

class ConversationMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONVERSATION_MODE_UNSPECIFIED: _ClassVar[ConversationMode]
    CONVERSATION_MODE_COMPLETION: _ClassVar[ConversationMode]
    CONVERSATION_MODE_CHAT: _ClassVar[ConversationMode]

class AttachmentKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTACHMENT_KIND_UNSPECIFIED: _ClassVar[AttachmentKind]
    ATTACHMENT_KIND_FILE: _ClassVar[AttachmentKind]
    ATTACHMENT_KIND_IMAGE: _ClassVar[AttachmentKind]
    ATTACHMENT_KIND_VOICE: _ClassVar[AttachmentKind]

class AgentEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AGENT_EVENT_TYPE_UNSPECIFIED: _ClassVar[AgentEventType]
    AGENT_EVENT_TYPE_MODEL_OUTPUT_THINKING: _ClassVar[AgentEventType]
    AGENT_EVENT_TYPE_MODEL_OUTPUT_CODE: _ClassVar[AgentEventType]
    AGENT_EVENT_TYPE_STEP_COUNT: _ClassVar[AgentEventType]
    AGENT_EVENT_TYPE_PARSE: _ClassVar[AgentEventType]
    AGENT_EVENT_TYPE_EXECUTION_LOGS: _ClassVar[AgentEventType]
    AGENT_EVENT_TYPE_AGENT_NEW_RUN: _ClassVar[AgentEventType]
    AGENT_EVENT_TYPE_FINAL_ANSWER: _ClassVar[AgentEventType]
    AGENT_EVENT_TYPE_SEARCH_CONTENT: _ClassVar[AgentEventType]
    AGENT_EVENT_TYPE_TOKEN_COUNT: _ClassVar[AgentEventType]
    AGENT_EVENT_TYPE_ERROR: _ClassVar[AgentEventType]

class Rating(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RATING_UNSPECIFIED: _ClassVar[Rating]
    RATING_LIKE: _ClassVar[Rating]
    RATING_DISLIKE: _ClassVar[Rating]

class MessageStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MESSAGE_STATUS_UNSPECIFIED: _ClassVar[MessageStatus]
    MESSAGE_STATUS_NORMAL: _ClassVar[MessageStatus]
    MESSAGE_STATUS_STOPPED: _ClassVar[MessageStatus]
    MESSAGE_STATUS_ERROR: _ClassVar[MessageStatus]

class StatisticMetric(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATISTIC_METRIC_UNSPECIFIED: _ClassVar[StatisticMetric]
    STATISTIC_METRIC_DAILY_CONVERSATIONS: _ClassVar[StatisticMetric]
    STATISTIC_METRIC_DAILY_END_USERS: _ClassVar[StatisticMetric]
    STATISTIC_METRIC_TOKEN_COSTS: _ClassVar[StatisticMetric]
    STATISTIC_METRIC_AVERAGE_SESSION_INTERACTIONS: _ClassVar[StatisticMetric]
    STATISTIC_METRIC_USER_SATISFACTION_RATE: _ClassVar[StatisticMetric]
    STATISTIC_METRIC_AVERAGE_RESPONSE_TIME: _ClassVar[StatisticMetric]
    STATISTIC_METRIC_TOKENS_PER_SECOND: _ClassVar[StatisticMetric]

class MarkType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MARK_TYPE_UNSPECIFIED: _ClassVar[MarkType]
    MARK_TYPE_MIND_MAP: _ClassVar[MarkType]
    MARK_TYPE_FLOWCHART: _ClassVar[MarkType]
    MARK_TYPE_STATE_DIAGRAM: _ClassVar[MarkType]
    MARK_TYPE_ER_DIAGRAM: _ClassVar[MarkType]
    MARK_TYPE_USER_JOURNEY: _ClassVar[MarkType]
    MARK_TYPE_GANTT: _ClassVar[MarkType]
    MARK_TYPE_PIE: _ClassVar[MarkType]
    MARK_TYPE_TIMELINE: _ClassVar[MarkType]
    MARK_TYPE_STOCK_ANALYSIS: _ClassVar[MarkType]
    MARK_TYPE_STOCK_BACKTEST: _ClassVar[MarkType]

class SpeakerType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SPEAKER_TYPE_UNSPECIFIED: _ClassVar[SpeakerType]
    SPEAKER_TYPE_HUMAN: _ClassVar[SpeakerType]
    SPEAKER_TYPE_AI: _ClassVar[SpeakerType]

class ModelType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODEL_TYPE_UNSPECIFIED: _ClassVar[ModelType]
    MODEL_TYPE_LLM: _ClassVar[ModelType]
    MODEL_TYPE_EMBEDDING: _ClassVar[ModelType]
    MODEL_TYPE_RERANK: _ClassVar[ModelType]
    MODEL_TYPE_STT: _ClassVar[ModelType]
    MODEL_TYPE_TTS: _ClassVar[ModelType]
    MODEL_TYPE_VLM: _ClassVar[ModelType]

class ConnectStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONNECT_STATUS_UNSPECIFIED: _ClassVar[ConnectStatus]
    CONNECT_STATUS_NOT_DETECTED: _ClassVar[ConnectStatus]
    CONNECT_STATUS_DETECTING: _ClassVar[ConnectStatus]
    CONNECT_STATUS_AVAILABLE: _ClassVar[ConnectStatus]
    CONNECT_STATUS_UNAVAILABLE: _ClassVar[ConnectStatus]

class EmbedInputType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EMBED_INPUT_TYPE_UNSPECIFIED: _ClassVar[EmbedInputType]
    EMBED_INPUT_TYPE_QUERY: _ClassVar[EmbedInputType]
    EMBED_INPUT_TYPE_PASSAGE: _ClassVar[EmbedInputType]
ORIGIN_UNSPECIFIED: Origin
ORIGIN_DIFY: Origin
ORIGIN_NEXTCONSOLE: Origin
ORIGIN_NEXENT: Origin
ORIGIN_LBAI: Origin
CONVERSATION_MODE_UNSPECIFIED: ConversationMode
CONVERSATION_MODE_COMPLETION: ConversationMode
CONVERSATION_MODE_CHAT: ConversationMode
ATTACHMENT_KIND_UNSPECIFIED: AttachmentKind
ATTACHMENT_KIND_FILE: AttachmentKind
ATTACHMENT_KIND_IMAGE: AttachmentKind
ATTACHMENT_KIND_VOICE: AttachmentKind
AGENT_EVENT_TYPE_UNSPECIFIED: AgentEventType
AGENT_EVENT_TYPE_MODEL_OUTPUT_THINKING: AgentEventType
AGENT_EVENT_TYPE_MODEL_OUTPUT_CODE: AgentEventType
AGENT_EVENT_TYPE_STEP_COUNT: AgentEventType
AGENT_EVENT_TYPE_PARSE: AgentEventType
AGENT_EVENT_TYPE_EXECUTION_LOGS: AgentEventType
AGENT_EVENT_TYPE_AGENT_NEW_RUN: AgentEventType
AGENT_EVENT_TYPE_FINAL_ANSWER: AgentEventType
AGENT_EVENT_TYPE_SEARCH_CONTENT: AgentEventType
AGENT_EVENT_TYPE_TOKEN_COUNT: AgentEventType
AGENT_EVENT_TYPE_ERROR: AgentEventType
RATING_UNSPECIFIED: Rating
RATING_LIKE: Rating
RATING_DISLIKE: Rating
MESSAGE_STATUS_UNSPECIFIED: MessageStatus
MESSAGE_STATUS_NORMAL: MessageStatus
MESSAGE_STATUS_STOPPED: MessageStatus
MESSAGE_STATUS_ERROR: MessageStatus
STATISTIC_METRIC_UNSPECIFIED: StatisticMetric
STATISTIC_METRIC_DAILY_CONVERSATIONS: StatisticMetric
STATISTIC_METRIC_DAILY_END_USERS: StatisticMetric
STATISTIC_METRIC_TOKEN_COSTS: StatisticMetric
STATISTIC_METRIC_AVERAGE_SESSION_INTERACTIONS: StatisticMetric
STATISTIC_METRIC_USER_SATISFACTION_RATE: StatisticMetric
STATISTIC_METRIC_AVERAGE_RESPONSE_TIME: StatisticMetric
STATISTIC_METRIC_TOKENS_PER_SECOND: StatisticMetric
MARK_TYPE_UNSPECIFIED: MarkType
MARK_TYPE_MIND_MAP: MarkType
MARK_TYPE_FLOWCHART: MarkType
MARK_TYPE_STATE_DIAGRAM: MarkType
MARK_TYPE_ER_DIAGRAM: MarkType
MARK_TYPE_USER_JOURNEY: MarkType
MARK_TYPE_GANTT: MarkType
MARK_TYPE_PIE: MarkType
MARK_TYPE_TIMELINE: MarkType
MARK_TYPE_STOCK_ANALYSIS: MarkType
MARK_TYPE_STOCK_BACKTEST: MarkType
SPEAKER_TYPE_UNSPECIFIED: SpeakerType
SPEAKER_TYPE_HUMAN: SpeakerType
SPEAKER_TYPE_AI: SpeakerType
MODEL_TYPE_UNSPECIFIED: ModelType
MODEL_TYPE_LLM: ModelType
MODEL_TYPE_EMBEDDING: ModelType
MODEL_TYPE_RERANK: ModelType
MODEL_TYPE_STT: ModelType
MODEL_TYPE_TTS: ModelType
MODEL_TYPE_VLM: ModelType
CONNECT_STATUS_UNSPECIFIED: ConnectStatus
CONNECT_STATUS_NOT_DETECTED: ConnectStatus
CONNECT_STATUS_DETECTING: ConnectStatus
CONNECT_STATUS_AVAILABLE: ConnectStatus
CONNECT_STATUS_UNAVAILABLE: ConnectStatus
EMBED_INPUT_TYPE_UNSPECIFIED: EmbedInputType
EMBED_INPUT_TYPE_QUERY: EmbedInputType
EMBED_INPUT_TYPE_PASSAGE: EmbedInputType

class Attachment(_message.Message):
    __slots__ = ("file_id", "url", "kind", "name", "size", "content_type", "transfer_method", "url_invalid")
    FILE_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_METHOD_FIELD_NUMBER: _ClassVar[int]
    URL_INVALID_FIELD_NUMBER: _ClassVar[int]
    file_id: str
    url: str
    kind: AttachmentKind
    name: str
    size: int
    content_type: str
    transfer_method: str
    url_invalid: bool
    def __init__(self, file_id: _Optional[str] = ..., url: _Optional[str] = ..., kind: _Optional[_Union[AttachmentKind, str]] = ..., name: _Optional[str] = ..., size: _Optional[int] = ..., content_type: _Optional[str] = ..., transfer_method: _Optional[str] = ..., url_invalid: _Optional[bool] = ...) -> None: ...

class InputMessage(_message.Message):
    __slots__ = ("role", "content")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    role: str
    content: str
    def __init__(self, role: _Optional[str] = ..., content: _Optional[str] = ...) -> None: ...

class Usage(_message.Message):
    __slots__ = ("prompt_tokens", "completion_tokens", "total_tokens", "latency", "time_to_first_token", "total_price", "currency")
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    TIME_TO_FIRST_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PRICE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    latency: float
    time_to_first_token: float
    total_price: str
    currency: str
    def __init__(self, prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., total_tokens: _Optional[int] = ..., latency: _Optional[float] = ..., time_to_first_token: _Optional[float] = ..., total_price: _Optional[str] = ..., currency: _Optional[str] = ...) -> None: ...

class ScoreDetails(_message.Message):
    __slots__ = ("accurate", "semantic")
    ACCURATE_FIELD_NUMBER: _ClassVar[int]
    SEMANTIC_FIELD_NUMBER: _ClassVar[int]
    accurate: float
    semantic: float
    def __init__(self, accurate: _Optional[float] = ..., semantic: _Optional[float] = ...) -> None: ...

class RetrieverResource(_message.Message):
    __slots__ = ("position", "dataset_id", "dataset_name", "document_id", "document_name", "segment_id", "score", "content", "title", "url", "source_type", "published_date", "score_details")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    DATASET_ID_FIELD_NUMBER: _ClassVar[int]
    DATASET_NAME_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_DATE_FIELD_NUMBER: _ClassVar[int]
    SCORE_DETAILS_FIELD_NUMBER: _ClassVar[int]
    position: int
    dataset_id: str
    dataset_name: str
    document_id: str
    document_name: str
    segment_id: str
    score: float
    content: str
    title: str
    url: str
    source_type: str
    published_date: str
    score_details: ScoreDetails
    def __init__(self, position: _Optional[int] = ..., dataset_id: _Optional[str] = ..., dataset_name: _Optional[str] = ..., document_id: _Optional[str] = ..., document_name: _Optional[str] = ..., segment_id: _Optional[str] = ..., score: _Optional[float] = ..., content: _Optional[str] = ..., title: _Optional[str] = ..., url: _Optional[str] = ..., source_type: _Optional[str] = ..., published_date: _Optional[str] = ..., score_details: _Optional[_Union[ScoreDetails, _Mapping]] = ...) -> None: ...

class CompletionParams(_message.Message):
    __slots__ = ("temperature", "top_p", "max_tokens", "presence_penalty", "frequency_penalty", "stop")
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    TOP_P_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    PRESENCE_PENALTY_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_PENALTY_FIELD_NUMBER: _ClassVar[int]
    STOP_FIELD_NUMBER: _ClassVar[int]
    temperature: float
    top_p: float
    max_tokens: int
    presence_penalty: float
    frequency_penalty: float
    stop: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, temperature: _Optional[float] = ..., top_p: _Optional[float] = ..., max_tokens: _Optional[int] = ..., presence_penalty: _Optional[float] = ..., frequency_penalty: _Optional[float] = ..., stop: _Optional[_Iterable[str]] = ...) -> None: ...

class GenerateRequest(_message.Message):
    __slots__ = ("app_id", "mode", "origin", "conversation_id", "ensure_conversation", "query", "inputs", "history", "files", "model_config_override", "model", "params", "workflow_params", "parent_message_id", "auto_generate_name", "end_user", "ephemeral")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    ENSURE_CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    MODEL_CONFIG_OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_PARAMS_FIELD_NUMBER: _ClassVar[int]
    PARENT_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    AUTO_GENERATE_NAME_FIELD_NUMBER: _ClassVar[int]
    END_USER_FIELD_NUMBER: _ClassVar[int]
    EPHEMERAL_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    mode: ConversationMode
    origin: Origin
    conversation_id: str
    ensure_conversation: bool
    query: str
    inputs: _struct_pb2.Struct
    history: _containers.RepeatedCompositeFieldContainer[InputMessage]
    files: _containers.RepeatedCompositeFieldContainer[Attachment]
    model_config_override: _struct_pb2.Struct
    model: str
    params: CompletionParams
    workflow_params: _struct_pb2.Struct
    parent_message_id: str
    auto_generate_name: bool
    end_user: str
    ephemeral: bool
    def __init__(self, app_id: _Optional[str] = ..., mode: _Optional[_Union[ConversationMode, str]] = ..., origin: _Optional[_Union[Origin, str]] = ..., conversation_id: _Optional[str] = ..., ensure_conversation: _Optional[bool] = ..., query: _Optional[str] = ..., inputs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., history: _Optional[_Iterable[_Union[InputMessage, _Mapping]]] = ..., files: _Optional[_Iterable[_Union[Attachment, _Mapping]]] = ..., model_config_override: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., model: _Optional[str] = ..., params: _Optional[_Union[CompletionParams, _Mapping]] = ..., workflow_params: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., parent_message_id: _Optional[str] = ..., auto_generate_name: _Optional[bool] = ..., end_user: _Optional[str] = ..., ephemeral: _Optional[bool] = ...) -> None: ...

class GenerateEvent(_message.Message):
    __slots__ = ("task_id", "message_id", "conversation_id", "created_at", "message_start", "text_delta", "reasoning_delta", "agent_thought", "retriever_resources", "message_end", "error")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_START_FIELD_NUMBER: _ClassVar[int]
    TEXT_DELTA_FIELD_NUMBER: _ClassVar[int]
    REASONING_DELTA_FIELD_NUMBER: _ClassVar[int]
    AGENT_THOUGHT_FIELD_NUMBER: _ClassVar[int]
    RETRIEVER_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_END_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    message_id: str
    conversation_id: str
    created_at: int
    message_start: MessageStart
    text_delta: TextDelta
    reasoning_delta: ReasoningDelta
    agent_thought: AgentThought
    retriever_resources: RetrieverResources
    message_end: MessageEnd
    error: GenerateError
    def __init__(self, task_id: _Optional[str] = ..., message_id: _Optional[str] = ..., conversation_id: _Optional[str] = ..., created_at: _Optional[int] = ..., message_start: _Optional[_Union[MessageStart, _Mapping]] = ..., text_delta: _Optional[_Union[TextDelta, _Mapping]] = ..., reasoning_delta: _Optional[_Union[ReasoningDelta, _Mapping]] = ..., agent_thought: _Optional[_Union[AgentThought, _Mapping]] = ..., retriever_resources: _Optional[_Union[RetrieverResources, _Mapping]] = ..., message_end: _Optional[_Union[MessageEnd, _Mapping]] = ..., error: _Optional[_Union[GenerateError, _Mapping]] = ...) -> None: ...

class MessageStart(_message.Message):
    __slots__ = ("model", "new_conversation")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    NEW_CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    model: str
    new_conversation: bool
    def __init__(self, model: _Optional[str] = ..., new_conversation: _Optional[bool] = ...) -> None: ...

class TextDelta(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class ReasoningDelta(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class AgentThought(_message.Message):
    __slots__ = ("id", "position", "thought", "observation", "tool", "tool_input", "message_files", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    THOUGHT_FIELD_NUMBER: _ClassVar[int]
    OBSERVATION_FIELD_NUMBER: _ClassVar[int]
    TOOL_FIELD_NUMBER: _ClassVar[int]
    TOOL_INPUT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FILES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    position: int
    thought: str
    observation: str
    tool: str
    tool_input: str
    message_files: _containers.RepeatedScalarFieldContainer[str]
    created_at: int
    def __init__(self, id: _Optional[str] = ..., position: _Optional[int] = ..., thought: _Optional[str] = ..., observation: _Optional[str] = ..., tool: _Optional[str] = ..., tool_input: _Optional[str] = ..., message_files: _Optional[_Iterable[str]] = ..., created_at: _Optional[int] = ...) -> None: ...

class RetrieverResources(_message.Message):
    __slots__ = ("resources",)
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    resources: _containers.RepeatedCompositeFieldContainer[RetrieverResource]
    def __init__(self, resources: _Optional[_Iterable[_Union[RetrieverResource, _Mapping]]] = ...) -> None: ...

class MessageEnd(_message.Message):
    __slots__ = ("usage", "retriever_resources", "finish_reason")
    USAGE_FIELD_NUMBER: _ClassVar[int]
    RETRIEVER_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    usage: Usage
    retriever_resources: _containers.RepeatedCompositeFieldContainer[RetrieverResource]
    finish_reason: str
    def __init__(self, usage: _Optional[_Union[Usage, _Mapping]] = ..., retriever_resources: _Optional[_Iterable[_Union[RetrieverResource, _Mapping]]] = ..., finish_reason: _Optional[str] = ...) -> None: ...

class GenerateError(_message.Message):
    __slots__ = ("reason", "message", "grpc_code")
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    GRPC_CODE_FIELD_NUMBER: _ClassVar[int]
    reason: str
    message: str
    grpc_code: int
    def __init__(self, reason: _Optional[str] = ..., message: _Optional[str] = ..., grpc_code: _Optional[int] = ...) -> None: ...

class StopGenerationRequest(_message.Message):
    __slots__ = ("task_id", "app_id")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    app_id: str
    def __init__(self, task_id: _Optional[str] = ..., app_id: _Optional[str] = ...) -> None: ...

class StopGenerationResponse(_message.Message):
    __slots__ = ("stopped",)
    STOPPED_FIELD_NUMBER: _ClassVar[int]
    stopped: bool
    def __init__(self, stopped: _Optional[bool] = ...) -> None: ...

class AgentUnit(_message.Message):
    __slots__ = ("type", "content")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    type: AgentEventType
    content: str
    def __init__(self, type: _Optional[_Union[AgentEventType, str]] = ..., content: _Optional[str] = ...) -> None: ...

class RunAgentRequest(_message.Message):
    __slots__ = ("conversation_id", "query", "history", "minio_files", "is_debug")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    MINIO_FILES_FIELD_NUMBER: _ClassVar[int]
    IS_DEBUG_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    query: str
    history: _containers.RepeatedCompositeFieldContainer[InputMessage]
    minio_files: _containers.RepeatedCompositeFieldContainer[Attachment]
    is_debug: bool
    def __init__(self, conversation_id: _Optional[str] = ..., query: _Optional[str] = ..., history: _Optional[_Iterable[_Union[InputMessage, _Mapping]]] = ..., minio_files: _Optional[_Iterable[_Union[Attachment, _Mapping]]] = ..., is_debug: _Optional[bool] = ...) -> None: ...

class AgentEvent(_message.Message):
    __slots__ = ("task_id", "message_id", "conversation_id", "unit")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    message_id: str
    conversation_id: str
    unit: AgentUnit
    def __init__(self, task_id: _Optional[str] = ..., message_id: _Optional[str] = ..., conversation_id: _Optional[str] = ..., unit: _Optional[_Union[AgentUnit, _Mapping]] = ...) -> None: ...

class ReloadAgentConfigResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class FeedbackStats(_message.Message):
    __slots__ = ("like", "dislike")
    LIKE_FIELD_NUMBER: _ClassVar[int]
    DISLIKE_FIELD_NUMBER: _ClassVar[int]
    like: int
    dislike: int
    def __init__(self, like: _Optional[int] = ..., dislike: _Optional[int] = ...) -> None: ...

class Conversation(_message.Message):
    __slots__ = ("id", "app_id", "mode", "origin", "name", "summary", "status", "inputs", "message_count", "annotated", "user_feedback_stats", "admin_feedback_stats", "first_query", "first_answer", "from_end_user_id", "user_id", "seq", "created_at", "updated_at", "read_at", "annotation", "model_config")
    ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    ANNOTATED_FIELD_NUMBER: _ClassVar[int]
    USER_FEEDBACK_STATS_FIELD_NUMBER: _ClassVar[int]
    ADMIN_FEEDBACK_STATS_FIELD_NUMBER: _ClassVar[int]
    FIRST_QUERY_FIELD_NUMBER: _ClassVar[int]
    FIRST_ANSWER_FIELD_NUMBER: _ClassVar[int]
    FROM_END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    READ_AT_FIELD_NUMBER: _ClassVar[int]
    ANNOTATION_FIELD_NUMBER: _ClassVar[int]
    MODEL_CONFIG_FIELD_NUMBER: _ClassVar[int]
    id: str
    app_id: str
    mode: ConversationMode
    origin: Origin
    name: str
    summary: str
    status: str
    inputs: _struct_pb2.Struct
    message_count: int
    annotated: bool
    user_feedback_stats: FeedbackStats
    admin_feedback_stats: FeedbackStats
    first_query: str
    first_answer: str
    from_end_user_id: str
    user_id: int
    seq: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    read_at: _timestamp_pb2.Timestamp
    annotation: Annotation
    model_config: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., app_id: _Optional[str] = ..., mode: _Optional[_Union[ConversationMode, str]] = ..., origin: _Optional[_Union[Origin, str]] = ..., name: _Optional[str] = ..., summary: _Optional[str] = ..., status: _Optional[str] = ..., inputs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., message_count: _Optional[int] = ..., annotated: _Optional[bool] = ..., user_feedback_stats: _Optional[_Union[FeedbackStats, _Mapping]] = ..., admin_feedback_stats: _Optional[_Union[FeedbackStats, _Mapping]] = ..., first_query: _Optional[str] = ..., first_answer: _Optional[str] = ..., from_end_user_id: _Optional[str] = ..., user_id: _Optional[int] = ..., seq: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., read_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., annotation: _Optional[_Union[Annotation, _Mapping]] = ..., model_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ConversationDetail(_message.Message):
    __slots__ = ("conversation", "model_config", "messages")
    CONVERSATION_FIELD_NUMBER: _ClassVar[int]
    MODEL_CONFIG_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    conversation: Conversation
    model_config: _struct_pb2.Struct
    messages: _containers.RepeatedCompositeFieldContainer[Message]
    def __init__(self, conversation: _Optional[_Union[Conversation, _Mapping]] = ..., model_config: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., messages: _Optional[_Iterable[_Union[Message, _Mapping]]] = ...) -> None: ...

class CreateConversationRequest(_message.Message):
    __slots__ = ("app_id", "name", "mode", "origin")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    name: str
    mode: ConversationMode
    origin: Origin
    def __init__(self, app_id: _Optional[str] = ..., name: _Optional[str] = ..., mode: _Optional[_Union[ConversationMode, str]] = ..., origin: _Optional[_Union[Origin, str]] = ...) -> None: ...

class ListConversationsRequest(_message.Message):
    __slots__ = ("app_id", "mode", "origin", "page", "keyword")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    KEYWORD_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    mode: ConversationMode
    origin: Origin
    page: _common_pb2.PageRequest
    keyword: str
    def __init__(self, app_id: _Optional[str] = ..., mode: _Optional[_Union[ConversationMode, str]] = ..., origin: _Optional[_Union[Origin, str]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., keyword: _Optional[str] = ...) -> None: ...

class ListConversationsResponse(_message.Message):
    __slots__ = ("conversations", "page")
    CONVERSATIONS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    conversations: _containers.RepeatedCompositeFieldContainer[Conversation]
    page: _common_pb2.PageInfo
    def __init__(self, conversations: _Optional[_Iterable[_Union[Conversation, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class GetConversationRequest(_message.Message):
    __slots__ = ("conversation_id", "app_id", "include_messages", "mode")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_MESSAGES_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    app_id: str
    include_messages: bool
    mode: ConversationMode
    def __init__(self, conversation_id: _Optional[str] = ..., app_id: _Optional[str] = ..., include_messages: _Optional[bool] = ..., mode: _Optional[_Union[ConversationMode, str]] = ...) -> None: ...

class DeleteConversationRequest(_message.Message):
    __slots__ = ("conversation_id", "app_id", "mode")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    app_id: str
    mode: ConversationMode
    def __init__(self, conversation_id: _Optional[str] = ..., app_id: _Optional[str] = ..., mode: _Optional[_Union[ConversationMode, str]] = ...) -> None: ...

class RenameConversationRequest(_message.Message):
    __slots__ = ("conversation_id", "name", "auto_generate")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    AUTO_GENERATE_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    name: str
    auto_generate: bool
    def __init__(self, conversation_id: _Optional[str] = ..., name: _Optional[str] = ..., auto_generate: _Optional[bool] = ...) -> None: ...

class GenerateTitleRequest(_message.Message):
    __slots__ = ("conversation_id", "history")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    history: _containers.RepeatedCompositeFieldContainer[InputMessage]
    def __init__(self, conversation_id: _Optional[str] = ..., history: _Optional[_Iterable[_Union[InputMessage, _Mapping]]] = ...) -> None: ...

class GenerateTitleResponse(_message.Message):
    __slots__ = ("title",)
    TITLE_FIELD_NUMBER: _ClassVar[int]
    title: str
    def __init__(self, title: _Optional[str] = ...) -> None: ...

class InitSessionRequest(_message.Message):
    __slots__ = ("app_code", "session_code")
    APP_CODE_FIELD_NUMBER: _ClassVar[int]
    SESSION_CODE_FIELD_NUMBER: _ClassVar[int]
    app_code: str
    session_code: str
    def __init__(self, app_code: _Optional[str] = ..., session_code: _Optional[str] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("id", "session_code", "session_topic", "session_status", "session_source", "session_llm_code", "session_assistant_id", "session_shop_assistant_id", "session_attachment_file_switch", "session_attachment_image_switch", "session_attachment_webpage_switch", "session_local_resource_switch", "session_local_resource_use_all", "session_search_engine_switch", "session_search_engine_resource_type", "session_search_engine_language_type", "session_cancel_reason", "session_customer_evaluation", "session_customer_score", "session_evaluation_close", "session_favorite", "session_like_cnt", "session_dislike_cnt", "session_share_cnt", "session_update_cnt", "session_remark", "session_vis", "session_task_id", "session_task_params", "session_task_params_schema", "session_task_type", "user_id", "create_time", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_CODE_FIELD_NUMBER: _ClassVar[int]
    SESSION_TOPIC_FIELD_NUMBER: _ClassVar[int]
    SESSION_STATUS_FIELD_NUMBER: _ClassVar[int]
    SESSION_SOURCE_FIELD_NUMBER: _ClassVar[int]
    SESSION_LLM_CODE_FIELD_NUMBER: _ClassVar[int]
    SESSION_ASSISTANT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_SHOP_ASSISTANT_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ATTACHMENT_FILE_SWITCH_FIELD_NUMBER: _ClassVar[int]
    SESSION_ATTACHMENT_IMAGE_SWITCH_FIELD_NUMBER: _ClassVar[int]
    SESSION_ATTACHMENT_WEBPAGE_SWITCH_FIELD_NUMBER: _ClassVar[int]
    SESSION_LOCAL_RESOURCE_SWITCH_FIELD_NUMBER: _ClassVar[int]
    SESSION_LOCAL_RESOURCE_USE_ALL_FIELD_NUMBER: _ClassVar[int]
    SESSION_SEARCH_ENGINE_SWITCH_FIELD_NUMBER: _ClassVar[int]
    SESSION_SEARCH_ENGINE_RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    SESSION_SEARCH_ENGINE_LANGUAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    SESSION_CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    SESSION_CUSTOMER_EVALUATION_FIELD_NUMBER: _ClassVar[int]
    SESSION_CUSTOMER_SCORE_FIELD_NUMBER: _ClassVar[int]
    SESSION_EVALUATION_CLOSE_FIELD_NUMBER: _ClassVar[int]
    SESSION_FAVORITE_FIELD_NUMBER: _ClassVar[int]
    SESSION_LIKE_CNT_FIELD_NUMBER: _ClassVar[int]
    SESSION_DISLIKE_CNT_FIELD_NUMBER: _ClassVar[int]
    SESSION_SHARE_CNT_FIELD_NUMBER: _ClassVar[int]
    SESSION_UPDATE_CNT_FIELD_NUMBER: _ClassVar[int]
    SESSION_REMARK_FIELD_NUMBER: _ClassVar[int]
    SESSION_VIS_FIELD_NUMBER: _ClassVar[int]
    SESSION_TASK_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_TASK_PARAMS_FIELD_NUMBER: _ClassVar[int]
    SESSION_TASK_PARAMS_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    SESSION_TASK_TYPE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: int
    session_code: str
    session_topic: str
    session_status: str
    session_source: str
    session_llm_code: str
    session_assistant_id: int
    session_shop_assistant_id: int
    session_attachment_file_switch: bool
    session_attachment_image_switch: bool
    session_attachment_webpage_switch: bool
    session_local_resource_switch: bool
    session_local_resource_use_all: bool
    session_search_engine_switch: bool
    session_search_engine_resource_type: str
    session_search_engine_language_type: _struct_pb2.Struct
    session_cancel_reason: str
    session_customer_evaluation: str
    session_customer_score: float
    session_evaluation_close: bool
    session_favorite: bool
    session_like_cnt: int
    session_dislike_cnt: int
    session_share_cnt: int
    session_update_cnt: int
    session_remark: int
    session_vis: bool
    session_task_id: str
    session_task_params: _struct_pb2.Struct
    session_task_params_schema: _struct_pb2.Struct
    session_task_type: str
    user_id: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., session_code: _Optional[str] = ..., session_topic: _Optional[str] = ..., session_status: _Optional[str] = ..., session_source: _Optional[str] = ..., session_llm_code: _Optional[str] = ..., session_assistant_id: _Optional[int] = ..., session_shop_assistant_id: _Optional[int] = ..., session_attachment_file_switch: _Optional[bool] = ..., session_attachment_image_switch: _Optional[bool] = ..., session_attachment_webpage_switch: _Optional[bool] = ..., session_local_resource_switch: _Optional[bool] = ..., session_local_resource_use_all: _Optional[bool] = ..., session_search_engine_switch: _Optional[bool] = ..., session_search_engine_resource_type: _Optional[str] = ..., session_search_engine_language_type: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., session_cancel_reason: _Optional[str] = ..., session_customer_evaluation: _Optional[str] = ..., session_customer_score: _Optional[float] = ..., session_evaluation_close: _Optional[bool] = ..., session_favorite: _Optional[bool] = ..., session_like_cnt: _Optional[int] = ..., session_dislike_cnt: _Optional[int] = ..., session_share_cnt: _Optional[int] = ..., session_update_cnt: _Optional[int] = ..., session_remark: _Optional[int] = ..., session_vis: _Optional[bool] = ..., session_task_id: _Optional[str] = ..., session_task_params: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., session_task_params_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., session_task_type: _Optional[str] = ..., user_id: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Feedback(_message.Message):
    __slots__ = ("rating", "content", "from_source", "user_id", "from_end_user_id", "created_at")
    RATING_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    FROM_SOURCE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    rating: Rating
    content: str
    from_source: str
    user_id: int
    from_end_user_id: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, rating: _Optional[_Union[Rating, str]] = ..., content: _Optional[str] = ..., from_source: _Optional[str] = ..., user_id: _Optional[int] = ..., from_end_user_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Annotation(_message.Message):
    __slots__ = ("id", "app_id", "message_id", "question", "answer", "hit_count", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    HIT_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    app_id: str
    message_id: str
    question: str
    answer: str
    hit_count: int
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., app_id: _Optional[str] = ..., message_id: _Optional[str] = ..., question: _Optional[str] = ..., answer: _Optional[str] = ..., hit_count: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Message(_message.Message):
    __slots__ = ("id", "conversation_id", "app_id", "task_id", "parent_message_id", "inputs", "query", "answer", "reasoning", "message_files", "answer_files", "agent_thoughts", "agent_units", "retriever_resources", "usage", "rating", "annotation", "status", "error", "text_type", "model", "from_end_user_id", "created_at", "feedbacks", "user_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    REASONING_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FILES_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FILES_FIELD_NUMBER: _ClassVar[int]
    AGENT_THOUGHTS_FIELD_NUMBER: _ClassVar[int]
    AGENT_UNITS_FIELD_NUMBER: _ClassVar[int]
    RETRIEVER_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    ANNOTATION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    TEXT_TYPE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    FROM_END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    FEEDBACKS_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    conversation_id: str
    app_id: str
    task_id: str
    parent_message_id: str
    inputs: _struct_pb2.Struct
    query: str
    answer: str
    reasoning: str
    message_files: _containers.RepeatedCompositeFieldContainer[Attachment]
    answer_files: _containers.RepeatedCompositeFieldContainer[Attachment]
    agent_thoughts: _containers.RepeatedCompositeFieldContainer[AgentThought]
    agent_units: _containers.RepeatedCompositeFieldContainer[AgentUnit]
    retriever_resources: _containers.RepeatedCompositeFieldContainer[RetrieverResource]
    usage: Usage
    rating: Rating
    annotation: Annotation
    status: MessageStatus
    error: str
    text_type: str
    model: str
    from_end_user_id: str
    created_at: _timestamp_pb2.Timestamp
    feedbacks: _containers.RepeatedCompositeFieldContainer[Feedback]
    user_id: int
    def __init__(self, id: _Optional[str] = ..., conversation_id: _Optional[str] = ..., app_id: _Optional[str] = ..., task_id: _Optional[str] = ..., parent_message_id: _Optional[str] = ..., inputs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., query: _Optional[str] = ..., answer: _Optional[str] = ..., reasoning: _Optional[str] = ..., message_files: _Optional[_Iterable[_Union[Attachment, _Mapping]]] = ..., answer_files: _Optional[_Iterable[_Union[Attachment, _Mapping]]] = ..., agent_thoughts: _Optional[_Iterable[_Union[AgentThought, _Mapping]]] = ..., agent_units: _Optional[_Iterable[_Union[AgentUnit, _Mapping]]] = ..., retriever_resources: _Optional[_Iterable[_Union[RetrieverResource, _Mapping]]] = ..., usage: _Optional[_Union[Usage, _Mapping]] = ..., rating: _Optional[_Union[Rating, str]] = ..., annotation: _Optional[_Union[Annotation, _Mapping]] = ..., status: _Optional[_Union[MessageStatus, str]] = ..., error: _Optional[str] = ..., text_type: _Optional[str] = ..., model: _Optional[str] = ..., from_end_user_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., feedbacks: _Optional[_Iterable[_Union[Feedback, _Mapping]]] = ..., user_id: _Optional[int] = ...) -> None: ...

class ListMessagesRequest(_message.Message):
    __slots__ = ("app_id", "conversation_id", "first_id", "limit")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    conversation_id: str
    first_id: str
    limit: int
    def __init__(self, app_id: _Optional[str] = ..., conversation_id: _Optional[str] = ..., first_id: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListMessagesResponse(_message.Message):
    __slots__ = ("messages", "has_more", "limit")
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[Message]
    has_more: bool
    limit: int
    def __init__(self, messages: _Optional[_Iterable[_Union[Message, _Mapping]]] = ..., has_more: _Optional[bool] = ..., limit: _Optional[int] = ...) -> None: ...

class GetMessageRequest(_message.Message):
    __slots__ = ("message_id", "app_id")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    app_id: str
    def __init__(self, message_id: _Optional[str] = ..., app_id: _Optional[str] = ...) -> None: ...

class SuggestQuestionsRequest(_message.Message):
    __slots__ = ("message_id", "app_id")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    app_id: str
    def __init__(self, message_id: _Optional[str] = ..., app_id: _Optional[str] = ...) -> None: ...

class SuggestQuestionsResponse(_message.Message):
    __slots__ = ("questions",)
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    questions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, questions: _Optional[_Iterable[str]] = ...) -> None: ...

class SetFeedbackRequest(_message.Message):
    __slots__ = ("message_id", "app_id", "rating", "content", "from_source")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    FROM_SOURCE_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    app_id: str
    rating: Rating
    content: str
    from_source: str
    def __init__(self, message_id: _Optional[str] = ..., app_id: _Optional[str] = ..., rating: _Optional[_Union[Rating, str]] = ..., content: _Optional[str] = ..., from_source: _Optional[str] = ...) -> None: ...

class GetMessageSourcesRequest(_message.Message):
    __slots__ = ("conversation_id", "message_id", "type")
    CONVERSATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    conversation_id: str
    message_id: str
    type: str
    def __init__(self, conversation_id: _Optional[str] = ..., message_id: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class MessageSources(_message.Message):
    __slots__ = ("searches", "images")
    SEARCHES_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    searches: _containers.RepeatedCompositeFieldContainer[RetrieverResource]
    images: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, searches: _Optional[_Iterable[_Union[RetrieverResource, _Mapping]]] = ..., images: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateAnnotationRequest(_message.Message):
    __slots__ = ("app_id", "message_id", "question", "answer")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    QUESTION_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    message_id: str
    question: str
    answer: str
    def __init__(self, app_id: _Optional[str] = ..., message_id: _Optional[str] = ..., question: _Optional[str] = ..., answer: _Optional[str] = ...) -> None: ...

class CountAnnotationsRequest(_message.Message):
    __slots__ = ("app_id",)
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    def __init__(self, app_id: _Optional[str] = ...) -> None: ...

class CountAnnotationsResponse(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class GetStatisticsRequest(_message.Message):
    __slots__ = ("app_id", "metric", "start", "end", "timezone")
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    app_id: str
    metric: StatisticMetric
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    timezone: str
    def __init__(self, app_id: _Optional[str] = ..., metric: _Optional[_Union[StatisticMetric, str]] = ..., start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., timezone: _Optional[str] = ...) -> None: ...

class StatisticRow(_message.Message):
    __slots__ = ("date", "value", "token_count", "total_price", "currency")
    DATE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    TOKEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PRICE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    date: str
    value: float
    token_count: int
    total_price: str
    currency: str
    def __init__(self, date: _Optional[str] = ..., value: _Optional[float] = ..., token_count: _Optional[int] = ..., total_price: _Optional[str] = ..., currency: _Optional[str] = ...) -> None: ...

class GetStatisticsResponse(_message.Message):
    __slots__ = ("rows",)
    ROWS_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[StatisticRow]
    def __init__(self, rows: _Optional[_Iterable[_Union[StatisticRow, _Mapping]]] = ...) -> None: ...

class UserQuestion(_message.Message):
    __slots__ = ("text", "voice_file_id")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    VOICE_FILE_ID_FIELD_NUMBER: _ClassVar[int]
    text: str
    voice_file_id: str
    def __init__(self, text: _Optional[str] = ..., voice_file_id: _Optional[str] = ...) -> None: ...

class SessionChatRequest(_message.Message):
    __slots__ = ("session_id", "user_question", "mark_type", "file_attachs")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_QUESTION_FIELD_NUMBER: _ClassVar[int]
    MARK_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILE_ATTACHS_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    user_question: UserQuestion
    mark_type: MarkType
    file_attachs: _containers.RepeatedCompositeFieldContainer[Attachment]
    def __init__(self, session_id: _Optional[str] = ..., user_question: _Optional[_Union[UserQuestion, _Mapping]] = ..., mark_type: _Optional[_Union[MarkType, str]] = ..., file_attachs: _Optional[_Iterable[_Union[Attachment, _Mapping]]] = ...) -> None: ...

class BuildMiniProgramRequest(_message.Message):
    __slots__ = ("command_session_id", "user_question")
    COMMAND_SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_QUESTION_FIELD_NUMBER: _ClassVar[int]
    command_session_id: str
    user_question: UserQuestion
    def __init__(self, command_session_id: _Optional[str] = ..., user_question: _Optional[_Union[UserQuestion, _Mapping]] = ...) -> None: ...

class SessionChatReply(_message.Message):
    __slots__ = ("id", "session_id", "create_time", "text", "text_type", "file_attachs")
    ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TEXT_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILE_ATTACHS_FIELD_NUMBER: _ClassVar[int]
    id: str
    session_id: str
    create_time: _timestamp_pb2.Timestamp
    text: str
    text_type: str
    file_attachs: _containers.RepeatedCompositeFieldContainer[Attachment]
    def __init__(self, id: _Optional[str] = ..., session_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., text: _Optional[str] = ..., text_type: _Optional[str] = ..., file_attachs: _Optional[_Iterable[_Union[Attachment, _Mapping]]] = ...) -> None: ...

class SessionMessage(_message.Message):
    __slots__ = ("id", "user_type", "header_url", "text", "text_type", "file_attachs", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_TYPE_FIELD_NUMBER: _ClassVar[int]
    HEADER_URL_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TEXT_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILE_ATTACHS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_type: SpeakerType
    header_url: str
    text: str
    text_type: str
    file_attachs: _containers.RepeatedCompositeFieldContainer[Attachment]
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., user_type: _Optional[_Union[SpeakerType, str]] = ..., header_url: _Optional[str] = ..., text: _Optional[str] = ..., text_type: _Optional[str] = ..., file_attachs: _Optional[_Iterable[_Union[Attachment, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListSessionMessagesRequest(_message.Message):
    __slots__ = ("session_id", "page")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    page: _common_pb2.PageRequest
    def __init__(self, session_id: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListSessionMessagesResponse(_message.Message):
    __slots__ = ("items", "page")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[SessionMessage]
    page: _common_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[SessionMessage, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class GetStockInfoRequest(_message.Message):
    __slots__ = ("stocks_code", "stocks_name", "minimum_value", "maximum_value")
    STOCKS_CODE_FIELD_NUMBER: _ClassVar[int]
    STOCKS_NAME_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_VALUE_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_VALUE_FIELD_NUMBER: _ClassVar[int]
    stocks_code: str
    stocks_name: str
    minimum_value: float
    maximum_value: float
    def __init__(self, stocks_code: _Optional[str] = ..., stocks_name: _Optional[str] = ..., minimum_value: _Optional[float] = ..., maximum_value: _Optional[float] = ...) -> None: ...

class LoadStockDataRequest(_message.Message):
    __slots__ = ("stocks", "bars", "news")
    STOCKS_FIELD_NUMBER: _ClassVar[int]
    BARS_FIELD_NUMBER: _ClassVar[int]
    NEWS_FIELD_NUMBER: _ClassVar[int]
    stocks: str
    bars: str
    news: str
    def __init__(self, stocks: _Optional[str] = ..., bars: _Optional[str] = ..., news: _Optional[str] = ...) -> None: ...

class LoadStockDataResponse(_message.Message):
    __slots__ = ("stocks", "bars", "news", "provider")
    STOCKS_FIELD_NUMBER: _ClassVar[int]
    BARS_FIELD_NUMBER: _ClassVar[int]
    NEWS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    stocks: int
    bars: int
    news: int
    provider: str
    def __init__(self, stocks: _Optional[int] = ..., bars: _Optional[int] = ..., news: _Optional[int] = ..., provider: _Optional[str] = ...) -> None: ...

class McpTool(_message.Message):
    __slots__ = ("name", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class McpServer(_message.Message):
    __slots__ = ("id", "name", "url", "enabled", "tools", "status", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    url: str
    enabled: bool
    tools: _containers.RepeatedCompositeFieldContainer[McpTool]
    status: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., url: _Optional[str] = ..., enabled: _Optional[bool] = ..., tools: _Optional[_Iterable[_Union[McpTool, _Mapping]]] = ..., status: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RegisterMcpServerRequest(_message.Message):
    __slots__ = ("name", "url", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    url: str
    headers: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[str] = ..., url: _Optional[str] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ListMcpServersResponse(_message.Message):
    __slots__ = ("servers",)
    SERVERS_FIELD_NUMBER: _ClassVar[int]
    servers: _containers.RepeatedCompositeFieldContainer[McpServer]
    def __init__(self, servers: _Optional[_Iterable[_Union[McpServer, _Mapping]]] = ...) -> None: ...

class DeleteMcpServerRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StockInfo(_message.Message):
    __slots__ = ("answer", "model", "crystal_stone", "request_id")
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CRYSTAL_STONE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    answer: str
    model: str
    crystal_stone: int
    request_id: str
    def __init__(self, answer: _Optional[str] = ..., model: _Optional[str] = ..., crystal_stone: _Optional[int] = ..., request_id: _Optional[str] = ...) -> None: ...

class ModelEntry(_message.Message):
    __slots__ = ("model_id", "model_name", "model_repo", "display_name", "model_type", "provider", "base_url", "api_key", "max_tokens", "embedding_dim", "connect_status", "is_default", "created_at", "updated_at", "is_platform")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_REPO_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_TYPE_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_DIM_FIELD_NUMBER: _ClassVar[int]
    CONNECT_STATUS_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    IS_PLATFORM_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    model_name: str
    model_repo: str
    display_name: str
    model_type: ModelType
    provider: str
    base_url: str
    api_key: str
    max_tokens: int
    embedding_dim: int
    connect_status: ConnectStatus
    is_default: bool
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    is_platform: bool
    def __init__(self, model_id: _Optional[str] = ..., model_name: _Optional[str] = ..., model_repo: _Optional[str] = ..., display_name: _Optional[str] = ..., model_type: _Optional[_Union[ModelType, str]] = ..., provider: _Optional[str] = ..., base_url: _Optional[str] = ..., api_key: _Optional[str] = ..., max_tokens: _Optional[int] = ..., embedding_dim: _Optional[int] = ..., connect_status: _Optional[_Union[ConnectStatus, str]] = ..., is_default: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., is_platform: _Optional[bool] = ...) -> None: ...

class CreateModelRequest(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: ModelEntry
    def __init__(self, model: _Optional[_Union[ModelEntry, _Mapping]] = ...) -> None: ...

class UpdateModelRequest(_message.Message):
    __slots__ = ("model_name", "display_name", "model_type", "base_url", "api_key", "max_tokens", "embedding_dim", "connect_status", "is_default", "model_repo")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_TYPE_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_DIM_FIELD_NUMBER: _ClassVar[int]
    CONNECT_STATUS_FIELD_NUMBER: _ClassVar[int]
    IS_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    MODEL_REPO_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    display_name: str
    model_type: ModelType
    base_url: str
    api_key: str
    max_tokens: int
    embedding_dim: int
    connect_status: ConnectStatus
    is_default: bool
    model_repo: str
    def __init__(self, model_name: _Optional[str] = ..., display_name: _Optional[str] = ..., model_type: _Optional[_Union[ModelType, str]] = ..., base_url: _Optional[str] = ..., api_key: _Optional[str] = ..., max_tokens: _Optional[int] = ..., embedding_dim: _Optional[int] = ..., connect_status: _Optional[_Union[ConnectStatus, str]] = ..., is_default: _Optional[bool] = ..., model_repo: _Optional[str] = ...) -> None: ...

class DeleteModelRequest(_message.Message):
    __slots__ = ("model_name",)
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    def __init__(self, model_name: _Optional[str] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = ("model_type",)
    MODEL_TYPE_FIELD_NUMBER: _ClassVar[int]
    model_type: ModelType
    def __init__(self, model_type: _Optional[_Union[ModelType, str]] = ...) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models",)
    MODELS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[ModelEntry]
    def __init__(self, models: _Optional[_Iterable[_Union[ModelEntry, _Mapping]]] = ...) -> None: ...

class GetModelRequest(_message.Message):
    __slots__ = ("model_name",)
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    def __init__(self, model_name: _Optional[str] = ...) -> None: ...

class CheckModelHealthRequest(_message.Message):
    __slots__ = ("model_name", "timeout_seconds")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    timeout_seconds: int
    def __init__(self, model_name: _Optional[str] = ..., timeout_seconds: _Optional[int] = ...) -> None: ...

class HealthResult(_message.Message):
    __slots__ = ("connected", "desc", "connect_status", "latency_ms")
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    DESC_FIELD_NUMBER: _ClassVar[int]
    CONNECT_STATUS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    connected: bool
    desc: str
    connect_status: ConnectStatus
    latency_ms: int
    def __init__(self, connected: _Optional[bool] = ..., desc: _Optional[str] = ..., connect_status: _Optional[_Union[ConnectStatus, str]] = ..., latency_ms: _Optional[int] = ...) -> None: ...

class VerifyModelConfigRequest(_message.Message):
    __slots__ = ("model_name", "model_type", "base_url", "api_key", "max_tokens", "embedding_dim", "timeout_seconds")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_TYPE_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_DIM_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_type: ModelType
    base_url: str
    api_key: str
    max_tokens: int
    embedding_dim: int
    timeout_seconds: int
    def __init__(self, model_name: _Optional[str] = ..., model_type: _Optional[_Union[ModelType, str]] = ..., base_url: _Optional[str] = ..., api_key: _Optional[str] = ..., max_tokens: _Optional[int] = ..., embedding_dim: _Optional[int] = ..., timeout_seconds: _Optional[int] = ...) -> None: ...

class VerifyModelConfigResponse(_message.Message):
    __slots__ = ("connectivity", "message", "connect_status", "latency_ms")
    CONNECTIVITY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CONNECT_STATUS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    connectivity: bool
    message: str
    connect_status: ConnectStatus
    latency_ms: int
    def __init__(self, connectivity: _Optional[bool] = ..., message: _Optional[str] = ..., connect_status: _Optional[_Union[ConnectStatus, str]] = ..., latency_ms: _Optional[int] = ...) -> None: ...

class ListUpstreamModelsRequest(_message.Message):
    __slots__ = ("type", "timeout_seconds")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    type: str
    timeout_seconds: int
    def __init__(self, type: _Optional[str] = ..., timeout_seconds: _Optional[int] = ...) -> None: ...

class UpstreamModel(_message.Message):
    __slots__ = ("id", "name", "type", "description")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    type: str
    description: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class ListUpstreamModelsResponse(_message.Message):
    __slots__ = ("models",)
    MODELS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[UpstreamModel]
    def __init__(self, models: _Optional[_Iterable[_Union[UpstreamModel, _Mapping]]] = ...) -> None: ...

class CheckUpstreamHealthRequest(_message.Message):
    __slots__ = ("model_name", "timeout_seconds")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    timeout_seconds: int
    def __init__(self, model_name: _Optional[str] = ..., timeout_seconds: _Optional[int] = ...) -> None: ...

class EmbedRequest(_message.Message):
    __slots__ = ("model_name", "inputs", "input_type")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    INPUT_TYPE_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    inputs: _containers.RepeatedScalarFieldContainer[str]
    input_type: EmbedInputType
    def __init__(self, model_name: _Optional[str] = ..., inputs: _Optional[_Iterable[str]] = ..., input_type: _Optional[_Union[EmbedInputType, str]] = ...) -> None: ...

class Embedding(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, values: _Optional[_Iterable[float]] = ...) -> None: ...

class EmbedResponse(_message.Message):
    __slots__ = ("embeddings", "model_name", "dim", "prompt_tokens")
    EMBEDDINGS_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    DIM_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    embeddings: _containers.RepeatedCompositeFieldContainer[Embedding]
    model_name: str
    dim: int
    prompt_tokens: int
    def __init__(self, embeddings: _Optional[_Iterable[_Union[Embedding, _Mapping]]] = ..., model_name: _Optional[str] = ..., dim: _Optional[int] = ..., prompt_tokens: _Optional[int] = ...) -> None: ...

class ResolveSpeechModelRequest(_message.Message):
    __slots__ = ("model_type",)
    MODEL_TYPE_FIELD_NUMBER: _ClassVar[int]
    model_type: ModelType
    def __init__(self, model_type: _Optional[_Union[ModelType, str]] = ...) -> None: ...

class SpeechModelEndpoint(_message.Message):
    __slots__ = ("found", "model_name", "base_url", "api_key", "entry_name", "operator_origin")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    ENTRY_NAME_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    found: bool
    model_name: str
    base_url: str
    api_key: str
    entry_name: str
    operator_origin: bool
    def __init__(self, found: _Optional[bool] = ..., model_name: _Optional[str] = ..., base_url: _Optional[str] = ..., api_key: _Optional[str] = ..., entry_name: _Optional[str] = ..., operator_origin: _Optional[bool] = ...) -> None: ...
