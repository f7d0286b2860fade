"""Settings shared by every MeshConsole process (prefix MESH_), read with pydantic-settings."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICE_NAMES = ("identity", "apps", "chat", "retrieval", "files", "voice", "meetings")


class WorkSettings(BaseSettings):
    """How long queued work may wait; every process applies the same, whichever creates or updates a stream first."""

    model_config = SettingsConfigDict(env_prefix="MESH_", extra="ignore")

    # Work streams drop anything older (JetStream max_age), so work nobody consumes cannot pile up forever.
    work_max_age_s: float = 7 * 86_400.0
    # Work still waiting this long is moved to MESH_DLQ (reason "expired") by the stream's consumers first,
    # because JetStream drops max_age-expired messages silently.
    work_dead_letter_after_s: float = 6 * 86_400.0
    work_sweep_interval_s: float = 300.0

    def dead_letter_after_s(self) -> float:
        """The expiry age, kept under max_age so the sweep always sees work before the server drops it."""
        return min(self.work_dead_letter_after_s, self.work_max_age_s * 0.9)


class MeshSettings(WorkSettings):
    """Shared settings; each service subclasses this and adds its own MESH_<SVC>_ fields."""

    model_config = SettingsConfigDict(env_prefix="MESH_", extra="ignore")

    env: Literal["dev", "production"] = "dev"
    log_level: str = "INFO"
    # `console` (for people), `json` (one object per line), or `auto`: console on a terminal, JSON otherwise.
    log_format: Literal["auto", "console", "json"] = "auto"
    # A service's Prometheus /metrics port (0: none); the gateway serves /metrics on its own HTTP port.
    metrics_port: int = 0
    data_dir: Path = Path(".data")
    timezone: str = "UTC"

    nats_url: str = "nats://127.0.0.1:4222"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # May contain "{service}", replaced by the service name: one database per service.
    database_url: str = ""
    secret_key: str = ""

    grpc_port: int = 50051
    # Services listen on loopback unless told otherwise (containers and the Helm chart set 0.0.0.0).
    grpc_bind_host: str = "127.0.0.1"
    # A plaintext port that answers grpc.health.v1 only, for probes that cannot present a client certificate.
    grpc_health_port: int = 0
    grpc_deadline_s: float = 10.0
    # Mutual TLS between mesh processes: all three PEM files, or none.
    grpc_tls_cert_file: str = ""
    grpc_tls_key_file: str = ""
    grpc_tls_ca_file: str = ""
    # Ed25519 PEM keys of the principal credential (services.kit.mesh_tokens). The gateway alone holds the gateway
    # key; services hold its public half and the service key. Unset (dev), all are derived from the secret key.
    gateway_token_key: str = ""
    gateway_token_public_key: str = ""
    service_token_key: str = ""
    shutdown_grace_s: float = 20.0

    identity_addr: str = "127.0.0.1:50051"
    apps_addr: str = "127.0.0.1:50052"
    chat_addr: str = "127.0.0.1:50053"
    retrieval_addr: str = "127.0.0.1:50054"
    files_addr: str = "127.0.0.1:50055"
    voice_addr: str = "127.0.0.1:50056"
    meetings_addr: str = "127.0.0.1:50057"

    @model_validator(mode="after")
    def _production_needs_secrets(self) -> MeshSettings:
        if self.env == "production" and not self.secret_key:
            raise ValueError("MESH_SECRET_KEY is required when MESH_ENV=production")
        gateway_keys = bool(self.gateway_token_key)
        service_keys = bool(self.gateway_token_public_key and self.service_token_key)
        if self.env == "production" and not (gateway_keys or service_keys):
            raise ValueError(
                "MESH_ENV=production needs MESH_GATEWAY_TOKEN_KEY (the gateway), or MESH_GATEWAY_TOKEN_PUBLIC_KEY "
                "and MESH_SERVICE_TOKEN_KEY (a service)"
            )
        return self

    def service_addr(self, service: str) -> str:
        """host:port of a peer service."""
        return str(getattr(self, f"{service}_addr"))

    def database_url_for(self, service: str) -> str:
        """The SQLAlchemy URL of a service's own database (SQLite under data_dir by default)."""
        if self.database_url:
            return self.database_url.replace("{service}", service)
        if self.env == "production":
            raise ValueError("MESH_DATABASE_URL is required when MESH_ENV=production")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{service}.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """The platform secret; in dev it is generated once and kept under data_dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()
