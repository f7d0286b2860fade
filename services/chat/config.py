"""Chat settings: the default upstream (OPENAI_* and MESH_DEFAULT_MODEL) and generation limits."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from services.kit.settings import MeshSettings


class ChatSettings(MeshSettings):
    """OPENAI_BASE_URL / OPENAI_API_KEY / MESH_DEFAULT_MODEL register the platform's default provider."""

    model_config = SettingsConfigDict(env_prefix="MESH_", extra="ignore", populate_by_name=True)

    openai_base_url: str = Field(default="", validation_alias=AliasChoices("OPENAI_BASE_URL", "openai_base_url"))
    openai_api_key: str = Field(default="", validation_alias=AliasChoices("OPENAI_API_KEY", "openai_api_key"))
    default_model: str = ""

    chat_upstream_timeout_s: float = 120.0
    chat_upstream_connect_timeout_s: float = 10.0
    chat_verify_timeout_s: float = 10.0
    chat_context_tokens: int = 8192
    chat_history_messages: int = 50
    # How often a streaming answer's text is saved, so a process killed mid-answer keeps what the client saw.
    chat_checkpoint_s: float = 3.0
    chat_app_config_cache_s: float = 60.0
