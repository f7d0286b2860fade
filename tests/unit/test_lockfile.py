"""The lock files: uv.lock must agree with pyproject.toml, and every install path must read from it."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def uv_binary() -> str:
    bootstrapped = ROOT / ".tools" / "uv" / "bin" / "uv"
    found = str(bootstrapped) if bootstrapped.exists() else shutil.which("uv")
    if found is None:
        pytest.fail("uv is missing: `make install` bootstraps it into .tools/uv")
    return found


def test_uv_lock_agrees_with_pyproject() -> None:
    checked = subprocess.run(
        [uv_binary(), "lock", "--check", "--python", "python3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={"UV_PYTHON_DOWNLOADS": "never", "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(Path.home())},
    )
    assert checked.returncode == 0, f"uv.lock is stale, run `make lock`:\n{checked.stderr}"


def test_every_runtime_dependency_has_an_upper_bound_or_is_calendar_versioned() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # pdfminer.six is calendar-versioned (YYYYMMDD): a bound would only block security releases.
    unbounded = [
        spec
        for spec in project["dependencies"]
        if "<" not in spec and "==" not in spec and not spec.startswith("pdfminer.six")
    ]
    assert unbounded == []


def test_make_ci_and_image_install_from_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "sync --frozen" in makefile and "pip install -e" not in makefile
    assert "npm ci --prefix tools/node" in makefile
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "uv.lock" in dockerfile and "--require-hashes" in dockerfile
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make lint" in ci and "make test" in ci
