"""Meetings settings: idle auto-close, limits, the processing job's retries and its calls to voice and chat."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.kit.settings import MeshSettings


class MeetingsSettings(MeshSettings):
    """Shared MESH_ settings plus MESH_MEETINGS_* knobs."""

    model_config = SettingsConfigDict(env_prefix="MESH_", extra="ignore")

    # An open meeting without an upload for this long is closed by whichever replica's sweep finds it first.
    meetings_idle_timeout_s: float = Field(default=3600.0, gt=0)
    meetings_idle_sweep_interval_s: float = Field(default=30.0, gt=0)
    meetings_max_chunks: int = Field(default=1000, ge=1)
    meetings_max_chunks_per_upload: int = Field(default=100, ge=1)
    # Chunks transcribed at once by one job (voice's local engine is CPU bound).
    meetings_transcribe_concurrency: int = Field(default=2, ge=1)
    meetings_transcribe_timeout_s: float = 600.0
    meetings_minutes_timeout_s: float = 300.0
    meetings_minutes_max_tokens: int = 2048
    # The transcript handed to the model is cut to this many characters (its head and tail are kept).
    meetings_minutes_max_chars: int = 60_000
    # JetStream delivery of the processing job: attempts, backoff between them, how long a dead worker holds it.
    meetings_max_deliver: int = Field(default=5, ge=1)
    meetings_backoff_s: list[float] = Field(default_factory=lambda: [2.0, 10.0, 30.0, 60.0])
    meetings_ack_wait_s: float = 60.0
    meetings_job_timeout_s: float = 3600.0
    meetings_workers: int = Field(default=2, ge=1)
    # How often events and jobs that NATS did not take at commit time are published again.
    meetings_outbox_interval_s: float = 5.0
