"""Dify console response models: field names and order exactly as the shapes emit them (declaration order)."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")
# Values read back from a saved model_config: free-form JSON, whatever the config holds.
ConfigValue = Any


def sse(description: str, blocking: type[BaseModel] | None = None) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for a route that streams server-sent events (or answers JSON when blocking)."""
    answer: dict[str, Any] = {"content": {"text/event-stream": {}}, "description": description}
    if blocking is not None:
        answer["model"] = blocking
    return {200: answer}


class _Model(BaseModel):
    # model_config is a Dify field name, so pydantic's own `model_` prefix must stay usable.
    model_config = ConfigDict(protected_namespaces=())


class DifyPage(_Model, Generic[T]):
    """Dify's page: `{"data", "has_more", "limit", "total", "page"}`."""

    data: list[T]
    has_more: bool
    limit: int
    total: int
    page: int


class DifyList(_Model, Generic[T]):
    """`{"data": [...]}` with no paging."""

    data: list[T]


class DifyResult(_Model):
    result: str


class DifyCount(_Model):
    count: int


class DifyModelConfig(_Model):
    """The saved model_config keys in their saved order, then created_at and updated_at."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())


class DifySimpleModelConfig(_Model):
    """model_config in list items: only the model and the pre_prompt."""

    model: ConfigValue = None
    pre_prompt: ConfigValue = None


# Apps


class DifySite(_Model):
    app_id: str
    access_token: str
    code: str
    title: str
    icon_type: str
    icon: str
    icon_background: str
    icon_url: str | None
    description: str
    default_language: str
    chat_color_theme: str | None
    chat_color_theme_inverted: bool
    customize_domain: str
    copyright: str
    privacy_policy: str
    custom_disclaimer: str
    customize_token_strategy: str
    prompt_public: bool
    app_base_url: str
    show_workflow_steps: bool
    use_icon_as_answer_icon: bool
    created_at: int
    updated_at: int


class _DifyAppBase(_Model):
    id: str
    name: str
    description: str
    mode: str
    icon_type: str
    icon: str
    icon_background: str
    icon_url: str | None


class DifyApp(_DifyAppBase):
    """Dify's app_detail_fields_with_site."""

    enable_site: bool
    enable_api: bool
    api_rpm: int
    api_rph: int
    is_demo: bool
    model_config_: DifyModelConfig | None = Field(alias="model_config")
    workflow: dict[str, Any] | None
    site: DifySite | None
    use_icon_as_answer_icon: bool
    created_at: int
    updated_at: int


class DifyAppListItem(_DifyAppBase):
    """Dify's app_partial_fields."""

    max_active_requests: int | None
    model_config_: DifySimpleModelConfig | None = Field(alias="model_config")
    workflow: dict[str, Any] | None
    use_icon_as_answer_icon: bool
    created_at: int
    updated_at: int
    tags: list[dict[str, Any]]


# Messages


class DifyUsage(_Model):
    prompt_tokens: int
    prompt_unit_price: str
    prompt_price_unit: str
    prompt_price: str
    completion_tokens: int
    completion_unit_price: str
    completion_price_unit: str
    completion_price: str
    total_tokens: int
    total_price: str
    currency: str
    latency: float
    time_to_first_token: float


class DifyRetrieverResource(_Model):
    position: int
    dataset_id: str
    dataset_name: str
    document_id: str
    document_name: str
    data_source_type: str
    segment_id: str
    retriever_from: str
    score: float
    content: str


class DifyMessageMetadata(_Model):
    usage: DifyUsage
    retriever_resources: list[DifyRetrieverResource]


class DifyPromptMessage(_Model):
    role: str
    text: str
    files: list[dict[str, Any]]


class DifyAccount(_Model):
    id: str
    name: str
    email: str


class DifyFeedback(_Model):
    rating: str | None
    content: str | None
    from_source: str
    from_end_user_id: str | None
    from_account: DifyAccount | None


class DifyAgentThought(_Model):
    id: str
    chain_id: str | None
    message_id: str
    position: int
    thought: str
    tool: str
    tool_labels: dict[str, Any]
    tool_input: str
    created_at: int
    observation: str
    files: list[str]


class DifyMessageFile(_Model):
    id: str
    type: str
    url: str
    belongs_to: str


class DifyAnnotation(_Model):
    """An annotation as create returns it (annotation_fields)."""

    id: str
    question: str
    answer: str
    hit_count: int
    created_at: int


class DifyMessageAnnotation(_Model):
    """An annotation inside a message or conversation."""

    id: str
    question: str
    content: str
    account: DifyAccount | None
    created_at: int


class DifyMessage(_Model):
    """Dify's message_detail_fields."""

    id: str
    conversation_id: str
    inputs: dict[str, Any]
    query: str
    message: list[DifyPromptMessage]
    message_tokens: int
    answer: str
    answer_tokens: int
    provider_response_latency: float
    from_source: str
    from_end_user_id: str | None
    from_account_id: str | None
    feedbacks: list[DifyFeedback]
    workflow_run_id: str | None
    annotation: DifyMessageAnnotation | None
    annotation_hit_history: dict[str, Any] | None
    created_at: int
    agent_thoughts: list[DifyAgentThought]
    message_files: list[DifyMessageFile]
    metadata: DifyMessageMetadata
    status: str
    error: str | None
    parent_message_id: str | None


class DifyMessagePage(_Model):
    limit: int
    has_more: bool
    data: list[DifyMessage]


class DifyBlockingMessage(_Model):
    """The answer to chat-messages or completion-messages with response_mode blocking."""

    event: str
    task_id: str
    id: str
    message_id: str
    conversation_id: str
    mode: str
    answer: str
    metadata: dict[str, Any] = Field(description="usage and retriever_resources, as in message_end")
    created_at: int
    agent_thoughts: list[DifyAgentThought] | None = Field(
        default=None, description="agent apps only: every step of the run, as the message list returns them"
    )


# Conversations


class DifyFeedbackStats(_Model):
    like: int
    dislike: int


class DifyDetailModelConfig(_Model):
    opening_statement: ConfigValue = None
    suggested_questions: ConfigValue = None
    model: ConfigValue = None
    user_input_form: ConfigValue = None
    pre_prompt: ConfigValue = None
    agent_mode: ConfigValue = None


class _DifyConversationBase(_Model):
    id: str
    status: str
    from_source: str
    from_end_user_id: str | None
    from_account_id: str | None


class DifyChatConversationItem(_DifyConversationBase):
    """A chat-conversations list item (conversation_with_summary_fields)."""

    from_end_user_session_id: str | None
    from_account_name: str | None
    name: str
    summary: str
    read_at: int | None
    created_at: int
    updated_at: int
    annotated: bool
    model_config_: DifySimpleModelConfig = Field(alias="model_config")
    message_count: int
    user_feedback_stats: DifyFeedbackStats
    admin_feedback_stats: DifyFeedbackStats
    status_count: dict[str, Any] | None


class DifyExchange(_Model):
    inputs: dict[str, Any]
    query: str
    message: str
    answer: str


class DifyCompletionConversationItem(_DifyConversationBase):
    """A completion-conversations list item (conversation_fields)."""

    from_end_user_session_id: str | None
    from_account_name: str | None
    read_at: int | None
    created_at: int
    updated_at: int
    annotation: DifyMessageAnnotation | None
    model_config_: DifySimpleModelConfig = Field(alias="model_config")
    user_feedback_stats: DifyFeedbackStats
    admin_feedback_stats: DifyFeedbackStats
    message: DifyExchange


class DifyChatConversation(_DifyConversationBase):
    """GET chat-conversations/{id} (conversation_detail_fields)."""

    created_at: int
    updated_at: int
    annotated: bool
    introduction: str
    model_config_: DifyDetailModelConfig = Field(alias="model_config")
    message_count: int
    user_feedback_stats: DifyFeedbackStats
    admin_feedback_stats: DifyFeedbackStats


class DifyCompletionConversation(_DifyConversationBase):
    """GET completion-conversations/{id} (conversation_message_detail_fields)."""

    created_at: int
    model_config_: DifyDetailModelConfig = Field(alias="model_config")
    message: DifyMessage | None


# Statistics: one row per day, each metric with its own fields.


class DifyDailyConversations(_Model):
    date: str
    conversation_count: int


class DifyDailyEndUsers(_Model):
    date: str
    terminal_count: int


class DifyTokenCosts(_Model):
    date: str
    token_count: int
    total_price: str
    currency: str


class DifySessionInteractions(_Model):
    date: str
    interactions: float


class DifySatisfactionRate(_Model):
    date: str
    rate: float


class DifyResponseTime(_Model):
    date: str
    latency: float


class DifyTokensPerSecond(_Model):
    date: str
    tps: float
