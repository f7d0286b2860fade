"""Reassembly of Whisper base from the two wheels: pinned digest, atomic write, repair of a damaged file."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.voice.engines.whisper_model import MODEL_SHA256, ModelIntegrityError, ensure_base_model, sha256_of


def test_the_wheels_reassemble_to_the_pinned_digest_and_a_damaged_file_is_rebuilt(whisper_dir: Path) -> None:
    assert sha256_of(whisper_dir / "model.bin") == MODEL_SHA256
    assert {p.name for p in whisper_dir.iterdir()} >= {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    with (whisper_dir / "model.bin").open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"\x00" * 16)
    ensure_base_model(whisper_dir)
    assert sha256_of(whisper_dir / "model.bin") == MODEL_SHA256
    assert not list(whisper_dir.glob(".model.bin.*"))  # no temporary file left behind


def test_parts_that_do_not_match_are_never_installed(tmp_path: Path) -> None:
    parts = [tmp_path / "a", tmp_path / "b"]
    for part in parts:
        part.write_bytes(b"not whisper")
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (tmp_path / name).write_text("{}")
    target = tmp_path / "model"
    with pytest.raises(ModelIntegrityError):
        ensure_base_model(target, parts=parts)
    assert not (target / "model.bin").exists() and not list(target.glob(".model.bin.*"))
