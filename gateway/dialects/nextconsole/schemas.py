"""NextConsole response models: the `{error_code, error_message, error_status, result}` envelope and its results."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class NextConsoleEnvelope(BaseModel, Generic[T]):
    """Every NextConsole JSON success: error_code 0, error_status false, the payload in result."""

    error_code: int
    error_message: str
    error_status: bool
    result: T


class PointAccount(BaseModel):
    model_config = ConfigDict(extra="allow")

    account_id: str
    account_status: str
    account_type: str
    balance: float
    create_time: str
    frozen_balance: float
    id: int
    update_time: str
    user_id: int


class UserInfo(BaseModel):
    """The seed's user object; extra keys pass through as identity adds them."""

    model_config = ConfigDict(extra="allow")

    user_id: int
    user_account: str
    user_code: str
    user_name: str
    user_nick_name: str
    user_nick_name_py: str
    user_email: str
    user_phone: str
    user_avatar: str
    user_gender: str
    user_age: int
    user_area: str | None
    user_position: str
    user_account_type: str
    user_company: str
    user_company_id: int
    user_department: str
    user_department_id: int
    user_expire_time: str
    user_invite_code: str
    user_role: list[str]
    user_source: str
    user_status: int
    user_resource_limit: int
    user_wx_avatar: str
    user_wx_nickname: str
    user_wx_openid: str
    user_wx_union_id: str
    user_point_account: PointAccount
    create_time: str
    update_time: str
    last_login_time: str


class TokenResult(BaseModel):
    token: str
    token_type: str
    expire_time: str = Field(description="%Y-%m-%d %H:%M:%S in the server's timezone")
    user_info: UserInfo


class AppSession(BaseModel):
    """The seed's session object (init_session); session_code is the conversation id."""

    model_config = ConfigDict(extra="allow")

    id: int
    session_code: str
    session_topic: str
    session_status: str
    session_source: str
    session_llm_code: str
    session_assistant_id: int
    session_shop_assistant_id: str | None
    session_attachment_file_switch: bool
    session_attachment_image_switch: bool
    session_attachment_webpage_switch: bool
    session_local_resource_switch: bool
    session_local_resource_use_all: bool
    session_search_engine_switch: bool
    session_search_engine_resource_type: str
    session_search_engine_language_type: dict[str, Any]
    session_cancel_reason: str | None
    session_customer_evaluation: str | None
    session_customer_score: float | None
    session_evaluation_close: bool
    session_favorite: bool
    session_like_cnt: int
    session_dislike_cnt: int
    session_share_cnt: int
    session_update_cnt: int
    session_remark: int
    session_vis: bool
    session_task_id: str | None
    session_task_params: dict[str, Any] | None
    session_task_params_schema: dict[str, Any] | None
    session_task_type: str | None
    user_id: int
    create_time: str
    update_time: str


class CompletionUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class CompletionMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str
    reason_content: str | None = Field(default=None, description="present only when the model reasoned")


class CompletionChoice(BaseModel):
    index: int
    message: CompletionMessage
    finish_reason: str


class ChatCompletion(BaseModel):
    """OpenAI's `chat.completion` (stream=false), plus NextConsole's session_code and task_id."""

    id: str
    object: str
    created: int
    model: str
    session_code: str
    task_id: str
    choices: list[CompletionChoice]
    usage: CompletionUsage | dict[str, int] = Field(description="{} when the run ended without usage")


class UploadedResource(BaseModel):
    id: str
    name: str
    url: str


class DeleteCount(BaseModel):
    delete_cnt: int


class DownloadUrl(BaseModel):
    download_url: str


class ResourceHit(BaseModel):
    id: int | str = Field(description="the numeric resource id (a string only if it is not numeric)")
    resource_id: str
    resource_name: str
    resource_format: str
    resource_size: int
    resource_type: str
    user_id: int
    create_time: str
    snippet: str
    score: float


class AuthorInfo(BaseModel):
    """An author of the hits; only user_id when identity could not name them."""

    user_id: int
    user_name: str | None = None
    user_nick_name: str | None = None
    user_avatar: str | None = None
    user_email: str | None = None


class ResourceSearch(BaseModel):
    data: list[ResourceHit]
    author_info: list[AuthorInfo]
    total: int


class BuildCount(BaseModel):
    build_cnt: int
