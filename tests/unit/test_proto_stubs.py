"""The committed gRPC stubs must match a fresh generation from the .proto files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("proto_generate", ROOT / "proto" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_stubs_are_fresh(tmp_path: Path) -> None:
    generator = _generator()
    generator.generate(tmp_path)
    committed_root = ROOT / "proto"
    committed = {p.relative_to(committed_root) for p in (committed_root / "meshconsole").rglob("*_pb2*.py*")}
    fresh = {p.relative_to(tmp_path) for p in (tmp_path / "meshconsole").rglob("*_pb2*.py*")}
    assert sorted(map(str, fresh)) == sorted(map(str, committed)), "run `make proto`: stubs missing or extra"
    stale = [str(p) for p in fresh if (tmp_path / p).read_bytes() != (committed_root / p).read_bytes()]
    assert not stale, f"run `make proto`: stale stubs {stale}"
