"""Apps settings: the generation-config cache and the event outbox relay (MESH_APPS_ prefix)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.kit.settings import MeshSettings


class AppsSettings(MeshSettings):
    """Shared MESH_ settings plus MESH_APPS_* knobs."""

    model_config = SettingsConfigDict(env_prefix="MESH_", extra="ignore")

    # GetAppConfig answers from memory; NATS events from any replica drop entries, the TTL bounds a missed event.
    apps_config_cache_size: int = 4096
    apps_config_cache_ttl_s: float = 60.0
    # How often unpublished outbox events (NATS was down at commit time) are retried.
    apps_outbox_interval_s: float = 5.0
