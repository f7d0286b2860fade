"""Voice choice in the local TTS: Piper voices from MESH_VOICE_PIPER_VOICES_DIR, eSpeak NG names, defaults by script."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.kit.errors import InvalidArgument
from services.voice.engines.local_tts import LocalTts, VoiceChoice, bundled_piper_voices
from services.voice.pool import WorkerPool


def test_a_voices_directory_adds_piper_voices_that_speak(tmp_path: Path) -> None:
    model, config = bundled_piper_voices()["en_US-joe-medium"]
    (tmp_path / "en_GB-test-medium.onnx").symlink_to(model)
    (tmp_path / "en_GB-test-medium.onnx.json").symlink_to(config)
    (tmp_path / "no-config.onnx").symlink_to(model)  # skipped: a voice needs its .onnx.json
    tts = LocalTts(pool=WorkerPool(workers=1, queue=1, max_streams=1, retry_after_s=1), voices_dir=str(tmp_path))
    assert tts.voices() == ["en_GB-test-medium", "en_US-joe-medium"]
    assert tts.choose("Hello.", voice="en_GB-test-medium", language="") == VoiceChoice("piper", "en_GB-test-medium")
    piece = tts.speak("Hello there.", VoiceChoice("piper", "en_GB-test-medium"), 1.0)
    assert piece.sample_rate == 22_050 and len(piece.data) > 22_050  # over half a second of speech


def test_defaults_follow_the_script_and_names_reach_espeak() -> None:
    tts = LocalTts(pool=WorkerPool(workers=1, queue=1, max_streams=1, retry_after_s=1), mandarin_voice="cmn+f3")
    assert tts.choose("Good morning.", voice="", language="") == VoiceChoice("piper", "en_US-joe-medium")
    assert tts.choose("早上好。", voice="", language="") == VoiceChoice("espeak", "cmn+f3")
    assert tts.choose("Bonjour.", voice="", language="fr") == VoiceChoice("espeak", "fr")
    assert tts.choose("x", voice="espeak:en-us", language="") == VoiceChoice("espeak", "en-us")
    with pytest.raises(InvalidArgument) as caught:
        tts.choose("x", voice="nobody", language="")
    assert (caught.value.field, caught.value.reason) == ("voice", "unknown_voice")
