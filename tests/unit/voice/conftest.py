"""Fixtures for voice unit tests: the Whisper base model reassembled once per session, and a local STT engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.voice.engines.whisper import WhisperStt
from services.voice.engines.whisper_model import ensure_base_model
from services.voice.pool import WorkerPool


@pytest.fixture(scope="session")
def whisper_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_base_model(tmp_path_factory.mktemp("whisper") / "base")


@pytest.fixture(scope="session")
def local_stt(whisper_dir: Path) -> WhisperStt:
    pool = WorkerPool(workers=1, queue=4, max_streams=2, retry_after_s=1.0)
    return WhisperStt(
        model_dir=lambda: whisper_dir,
        pool=pool,
        threads=0,
        compute_type="int8",
        beam_size=5,
        detect_languages=("zh", "en"),
        partial_interval_s=0.6,
    )
