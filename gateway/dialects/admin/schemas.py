"""Admin API response models: field names and order exactly as the routes emit them (declaration order)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AdminCreatedUser(BaseModel):
    user_id: int
    company_id: int
    account: str
    company: str
    nick_name: str
    roles: list[str]


class AdminUser(BaseModel):
    """NextConsole's user object; only its leading fields are named, the rest pass through in their order."""

    model_config = ConfigDict(extra="allow")

    user_id: int
    user_account: str


class AdminUserPage(BaseModel):
    data: list[AdminUser]
    page: int
    limit: int
    total: int
    has_more: bool


class AdminUserAccess(BaseModel):
    """A user's access after a change; tokens issued before tokens_not_before (unix seconds, 0: none) are refused."""

    user_id: int
    status: str
    tokens_not_before: int


class AdminApiKey(BaseModel):
    """A new key; `key` is shown only in this response."""

    key_id: str
    key: str
    kind: str
    user_id: int
    company_id: int
    created_at: str


class AdminRevokedKey(BaseModel):
    result: str
    key_id: str


class AdminLimits(BaseModel):
    """Upload limits in bytes and the accepted formats."""

    max_file_bytes: int
    max_image_bytes: int
    max_voice_bytes: int
    max_images_per_message: int
    max_files_per_upload: int
    max_presign_seconds: int
    max_body_bytes: int
    file_formats: list[str]
    image_formats: list[str]
    voice_formats: list[str]


class AdminStatus(BaseModel):
    """`ok` or `degraded`; each service's gRPC health and each gateway dependency's state, by name."""

    status: str
    services: dict[str, str]
    dependencies: dict[str, str]


class AdminConsumer(BaseModel):
    """A durable consumer's backlog: not yet delivered, delivered but not acknowledged, delivered more than once."""

    name: str
    pending: int
    in_flight: int
    redelivered: int


class AdminStream(BaseModel):
    name: str
    messages: int
    consumers: list[AdminConsumer]


class AdminQueues(BaseModel):
    """JetStream streams with their consumers, and the number of dead letters in MESH_DLQ."""

    streams: list[AdminStream]
    dead_letters: int
