"""Local STT: faster-whisper (CTranslate2, int8 on CPU) with Silero VAD, run on the bounded worker pool."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from services.voice.audio.decode import SAMPLE_RATE
from services.voice.engines.base import Segment, SttResult
from services.voice.pool import CancelToken, WorkerPool

log = structlog.get_logger(__name__)

# Whisper writes Mandarin in traditional or simplified characters at random; a simplified prompt settles it.
ZH_PROMPT = "以下是普通话的句子。"
_NO_SPACE_LANGUAGES = ("zh", "ja", "th", "lo", "my", "yue")
# Below this much audio, detection guesses; fall back to the first allowed language.
_MIN_DETECT_SAMPLES = SAMPLE_RATE // 4


def join_texts(texts: Sequence[str], language: str) -> str:
    """Segment texts as one transcript: no spaces between Chinese (and similar) segments."""
    parts = [t.strip() for t in texts if t.strip()]
    return ("" if language in _NO_SPACE_LANGUAGES else " ").join(parts)


def is_prompt_echo(text: str) -> bool:
    """Whisper sometimes repeats its prompt on near-silence; such a segment is noise, not speech."""
    core = text.strip().strip("。.,， ")
    return bool(core) and core in ZH_PROMPT


def pick_language(probabilities: Sequence[tuple[str, float]], allowed: Sequence[str]) -> str:
    """The most probable language, among the allowed ones when any are configured."""
    ranked = sorted(probabilities, key=lambda item: -item[1])
    for code, _ in ranked:
        if not allowed or code in allowed:
            return code
    return allowed[0] if allowed else (ranked[0][0] if ranked else "en")


def _remembering_model(base: Any) -> Any:
    """WhisperModel whose encoder remembers its last input per thread: detecting the language of a window and then
    transcribing that same window (no VAD) costs one encoder pass instead of two."""

    class Remembering(base):  # type: ignore[misc, valid-type]
        _memo = threading.local()

        def encode(self, features: np.ndarray) -> Any:
            key = hashlib.blake2b(np.ascontiguousarray(features).tobytes(), digest_size=16).digest()
            memo = self._memo
            if getattr(memo, "key", None) != key:
                memo.value, memo.key = super().encode(features), key
            return memo.value

    return Remembering


class WhisperStt:
    """faster-whisper on the worker pool; the model loads once, on first use or at warm-up."""

    name = "local"

    def __init__(
        self,
        *,
        model_dir: Callable[[], Path],
        pool: WorkerPool,
        threads: int,
        compute_type: str,
        beam_size: int,
        detect_languages: Sequence[str],
        partial_interval_s: float,
    ) -> None:
        self._model_dir = model_dir
        self.pool = pool
        self.threads = threads or os.cpu_count() or 1
        self.compute_type = compute_type
        self.beam_size = max(1, beam_size)
        self.detect_languages = tuple(detect_languages)
        self.partial_interval_s = partial_interval_s
        self._model: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        """The WhisperModel (loaded on the calling thread the first time)."""
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel

                path = self._model_dir()
                self._model = _remembering_model(WhisperModel)(
                    str(path),
                    device="cpu",
                    compute_type=self.compute_type,
                    cpu_threads=self.threads,
                    num_workers=self.pool.workers,
                )
                log.info("whisper_loaded", path=str(path), compute_type=self.compute_type)
            return self._model

    async def transcribe(self, audio: np.ndarray, *, language: str, quick: bool = False) -> SttResult:
        return await self.pool.run(
            lambda token: self.transcribe_sync(audio, language=language, quick=quick, token=token)
        )

    def detect(self, audio: np.ndarray, *, window: bool = False) -> str:
        """The spoken language, chosen among the configured ones; window = from the exact first window that a
        transcription without VAD encodes next (so the encoder runs once for both)."""
        if len(audio) < _MIN_DETECT_SAMPLES:
            return self.detect_languages[0] if self.detect_languages else "en"
        model = self.load()
        if window:
            from faster_whisper.audio import pad_or_trim

            features = model.feature_extractor(audio)
            frames = min(model.feature_extractor.nb_max_frames, features.shape[-1] - 1)
            results = model.model.detect_language(model.encode(pad_or_trim(features[:, :frames])))[0]
            return pick_language([(token[2:-2], p) for token, p in results], self.detect_languages)
        try:
            _, _, probabilities = model.detect_language(audio=audio, vad_filter=True)
        except ValueError:  # the VAD found no speech at all
            _, _, probabilities = model.detect_language(audio=audio)
        return pick_language(probabilities, self.detect_languages)

    def transcribe_sync(
        self, audio: np.ndarray, *, language: str, quick: bool = False, token: CancelToken | None = None
    ) -> SttResult:
        """Transcribe on this thread; quick = a partial: greedy, no VAD, no timestamps."""
        duration_ms = int(len(audio) * 1000 / SAMPLE_RATE)
        if len(audio) == 0:
            return SttResult("", language, 0, [])
        model = self.load()
        lang = language or self.detect(audio, window=quick)
        if token is not None:
            token.check()
        segments, _ = model.transcribe(
            audio,
            language=lang,
            beam_size=1 if quick else self.beam_size,
            vad_filter=not quick,
            vad_parameters={"min_silence_duration_ms": 500},
            without_timestamps=quick,
            condition_on_previous_text=False,
            initial_prompt=ZH_PROMPT if lang == "zh" else None,
            # Garbage audio sends Whisper into repetition loops; partials get one greedy pass, bounded by the audio's
            # length, and finals three temperatures instead of six.
            temperature=0.0 if quick else (0.0, 0.3, 0.6),
            max_new_tokens=min(224, 16 + int(12 * len(audio) / SAMPLE_RATE)) if quick else None,
        )
        found: list[Segment] = []
        for segment in segments:  # decoded lazily, one 30 s window at a time
            if token is not None:
                token.check()
            text = segment.text.strip()
            if not text or is_prompt_echo(text):
                continue
            end_ms = min(int(segment.end * 1000), duration_ms)
            found.append(Segment(text, min(int(segment.start * 1000), end_ms), end_ms))
        return SttResult(join_texts([s.text for s in found], lang), lang, duration_ms, found)
