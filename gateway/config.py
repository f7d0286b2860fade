"""Gateway settings (MESH_HOST, MESH_PORT and the shared MESH_ settings)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.kit.settings import MeshSettings


class GatewaySettings(MeshSettings):
    """Where the gateway listens and how long it trusts cached API key lookups."""

    model_config = SettingsConfigDict(env_prefix="MESH_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8080
    gateway_api_key_cache_s: float = 5.0
    gateway_readiness_timeout_s: float = 2.0
    gateway_max_body_mb: int = 100
    gateway_stream_timeout_s: float = 900.0
    # Proxies whose X-Forwarded-For is trusted for the client IP (per-IP login limits behind an Ingress).
    forwarded_allow_ips: str = "127.0.0.1"
