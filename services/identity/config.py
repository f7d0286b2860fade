"""Identity settings: the bootstrap admin, token lifetimes and login rate limits."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.kit.settings import MeshSettings


class IdentitySettings(MeshSettings):
    """MESH_ADMIN_* are read as documented for `make run`; the rest use the MESH_IDENTITY_ prefix."""

    model_config = SettingsConfigDict(env_prefix="MESH_", extra="ignore")

    admin_account: str = "admin@meshconsole.local"
    admin_password: str = ""

    identity_token_days: int = 7
    identity_token_days_remembered: int = 30
    identity_custom_token_max_days: int = 366
    identity_login_fail_limit_account: int = 5
    identity_login_fail_limit_ip: int = 20
    identity_login_fail_window_s: int = 900
    identity_api_key_cache_s: int = 5
