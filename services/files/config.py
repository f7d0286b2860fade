"""Files settings: the storage backend, S3 connection, size limits, presigned URLs and the image fetcher."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.kit.settings import MeshSettings

MB = 1024 * 1024


class FilesSettings(MeshSettings):
    """Shared MESH_ settings plus the files service's own MESH_FILES_* ones."""

    model_config = SettingsConfigDict(env_prefix="MESH_", extra="ignore")

    files_backend: Literal["local", "s3"] = "local"
    # local: bytes under this directory; "" = <MESH_DATA_DIR>/objects.
    files_local_root: str = ""
    files_s3_endpoint: str = "127.0.0.1:9000"
    files_s3_bucket: str = "meshconsole"
    files_s3_region: str = "us-east-1"
    files_s3_secure: bool = False
    files_s3_access_key: str = ""
    files_s3_secret_key: str = ""
    # host:port that clients outside the mesh network use to reach S3 ("" = files_s3_endpoint).
    files_s3_public_endpoint: str = ""
    files_s3_public_secure: bool | None = None
    files_s3_part_mb: int = 8

    files_max_upload_mb: int = 100
    files_max_image_mb: int = 30
    files_max_voice_mb: int = 100
    files_max_images_per_message: int = 6
    files_max_files_per_upload: int = 20
    files_presign_default_s: int = 3600
    # S3 refuses presigned URLs valid for longer than 7 days.
    files_presign_max_s: int = 7 * 86_400
    # Base of local-backend download URLs when a caller does not pass one ("" = relative URLs).
    files_public_base_url: str = ""

    files_fetch_timeout_s: float = 10.0
    files_fetch_max_redirects: int = 5
    # Networks the image fetcher may reach although they are not global. For tests only: keep it empty.
    files_fetch_allow_networks: list[str] = Field(default_factory=list)

    files_extract_max_chars: int = 200_000
    files_extract_timeout_s: float = 120.0
    # Unfinished uploads older than this are removed by the recovery sweep.
    files_stale_upload_s: int = 6 * 3600
    files_sweep_interval_s: float = 60.0

    def local_root(self) -> Path:
        """Where the local backend keeps bytes."""
        return Path(self.files_local_root) if self.files_local_root else self.data_dir / "objects"

    @property
    def max_file_bytes(self) -> int:
        return self.files_max_upload_mb * MB

    @property
    def max_image_bytes(self) -> int:
        return min(self.files_max_image_mb, self.files_max_upload_mb) * MB

    @property
    def max_voice_bytes(self) -> int:
        return min(self.files_max_voice_mb, self.files_max_upload_mb) * MB
