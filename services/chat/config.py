"""Chat settings: the default upstream (OPENAI_* and MESH_DEFAULT_MODEL), model endpoint networks, limits."""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import SettingsConfigDict

from services.kit.outbound import OutboundPolicy, parse_networks
from services.kit.settings import MeshSettings


class ChatSettings(MeshSettings):
    """OPENAI_BASE_URL / OPENAI_API_KEY / MESH_DEFAULT_MODEL register the platform's default provider."""

    model_config = SettingsConfigDict(env_prefix="MESH_", extra="ignore", populate_by_name=True)

    openai_base_url: str = Field(default="", validation_alias=AliasChoices("OPENAI_BASE_URL", "openai_base_url"))
    openai_api_key: str = Field(default="", validation_alias=AliasChoices("OPENAI_API_KEY", "openai_api_key"))
    default_model: str = ""
    # Comma-separated CIDRs where model endpoints may live although they are not public (a self-hosted vLLM or
    # Ollama); link-local and metadata addresses stay refused. The OPENAI_BASE_URL origin is always allowed.
    model_endpoint_networks: str = ""

    chat_upstream_timeout_s: float = 120.0
    chat_upstream_connect_timeout_s: float = 10.0
    # Connections per upstream endpoint: one per streaming answer in progress (keep above the gateway's
    # MESH_GATEWAY_MAX_STREAMS times its replicas per chat replica).
    chat_upstream_max_connections: int = 2000
    chat_verify_timeout_s: float = 10.0
    chat_context_tokens: int = 8192
    chat_history_messages: int = 50
    # How often a streaming answer's text is saved, so a process killed mid-answer keeps what the client saw.
    chat_checkpoint_s: float = 3.0
    chat_app_config_cache_s: float = 60.0
    # How long an lbai voice question may wait for its transcript (voice.TranscribeFile).
    chat_transcribe_timeout_s: float = 120.0
    # Run the process on uvloop (from uvicorn[standard]). Off by default: on the streaming bench it changed neither
    # chat's CPU per token nor any figure beyond the spread between runs (README, "Streaming and its cost").
    chat_uvloop: bool = False

    @field_validator("model_endpoint_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    def model_endpoint_policy(self) -> OutboundPolicy:
        """The outbound policy of model endpoints: the default one plus the operator's two exceptions."""
        origins = [self.openai_base_url.strip()] if self.openai_base_url.strip() else []
        return OutboundPolicy.build(networks=self.model_endpoint_networks, origins=origins)
