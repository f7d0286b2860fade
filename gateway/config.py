"""Gateway settings (MESH_HOST, MESH_PORT, body limits, the public base URL and the shared MESH_ settings)."""

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
    # Request body limits per route class (gateway.limits): uploads, JSON bodies, Nexent's documents route.
    gateway_max_body_mb: int = 100
    gateway_max_json_body_kb: int = 1024
    gateway_max_documents_body_mb: int = 16
    # JSON nesting deeper than this is refused at the edge (a protobuf Struct stops decoding past ~33 levels).
    gateway_max_json_depth: int = 32
    gateway_stream_timeout_s: float = 900.0
    # Generation streams one gateway process relays at once; past it a new stream gets 429 with Retry-After at once
    # instead of every open stream slowing down (0: no limit). 1,200 keeps 1,000 streams under their gap goal on
    # 2 cores (tests/bench/RESULTS.md).
    gateway_max_streams: int = 1200
    # uvicorn worker processes (each with its own stream limit); one measured best on 2 cores (tests/bench).
    gateway_workers: int = 1
    # Voice WebSockets (/api/voice/stt/ws, /api/voice/tts/ws): bytes per binary frame, characters per TTS text,
    # audio bytes per STT session, a session's length, and how long a socket may stay silent.
    gateway_voice_max_frame_kb: int = 256
    gateway_voice_max_text_chars: int = 10_000
    gateway_voice_max_audio_mb: int = 25
    gateway_voice_max_session_s: float = 600.0
    gateway_voice_idle_s: float = 30.0
    # Proxies whose X-Forwarded-For is trusted for the client IP (per-IP login limits behind an Ingress).
    forwarded_allow_ips: str = "127.0.0.1"
    # Where clients reach the mesh (download URLs, Dify's app_base_url); never taken from the request's Host.
    public_base_url: str = ""

    def public_url(self) -> str:
        """MESH_PUBLIC_BASE_URL, or http://host:port of this gateway (loopback when it listens on every address)."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else "[::1]" if self.host == "::" else self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}"
