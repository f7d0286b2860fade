"""deploy/Dockerfile and the build context's .dockerignore, checked without a Docker engine."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest

from tests.k8s._chart import COMPONENTS, REPO

DOCKERFILE = REPO / "deploy" / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        keyword, _, args = pending.partition(" ")
        out.append((keyword.upper(), args.strip()))
        pending = ""
    return out


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for keyword, args in instructions(DOCKERFILE.read_text()):
        if keyword == "FROM":
            result.append([])
        if result:
            result[-1].append((keyword, args))
    return result


def final_stage() -> list[tuple[str, str]]:
    return stages()[-1]


def test_multi_stage_on_slim_python() -> None:
    froms = [args for keyword, args in instructions(DOCKERFILE.read_text()) if keyword == "FROM"]
    assert len(froms) >= 2, "build and runtime stages"
    base = re.search(r"ARG PYTHON_IMAGE=(\S+)", DOCKERFILE.read_text())
    assert base and re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", base.group(1)), "Debian slim Python 3.11"
    # Only the virtualenv crosses into the runtime stage: no compilers, no sources.
    copies = [args for keyword, args in final_stage() if keyword == "COPY"]
    assert copies == ["--from=build /opt/meshconsole /opt/meshconsole"]


def test_runs_as_a_numeric_non_root_user() -> None:
    users = [args for keyword, args in final_stage() if keyword == "USER"]
    assert users, "the runtime stage sets USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) == 10001, "numeric uid, so runAsNonRoot can verify it"
    last_user = max(i for i, (k, _) in enumerate(final_stage()) if k == "USER")
    assert not [k for k, _ in final_stage()[last_user:] if k == "RUN"], "nothing runs as root after USER"


def test_command_chooses_the_process() -> None:
    entrypoint = [json_args(a) for k, a in final_stage() if k == "ENTRYPOINT"][-1]
    cmd = [json_args(a) for k, a in final_stage() if k == "CMD"][-1]
    assert entrypoint[-1] == "meshconsole"
    assert cmd == ["gateway"]
    assert set(COMPONENTS) >= set(cmd)


def test_has_a_healthcheck_using_the_probe_module() -> None:
    checks = [a for k, a in final_stage() if k == "HEALTHCHECK"]
    assert len(checks) == 1
    assert re.search(r'CMD \["python", "-m", "deploy\.healthcheck"\]', checks[0])
    assert "--interval=" in checks[0] and "--timeout=" in checks[0]


def test_downloads_only_from_pypi_and_debian() -> None:
    text = DOCKERFILE.read_text()
    assert not re.search(r"^#\s*syntax\s*=", text, re.M), "a syntax directive pulls a frontend image"
    for keyword, args in instructions(text):
        if keyword == "ADD":
            pytest.fail(f"ADD fetches or unpacks: {args}")
        if keyword == "RUN":
            for tool in ("curl", "wget", "git", "npm", "go install", "cargo"):
                assert not re.search(rf"(^|[\s;&|]){tool}(\s|$)", args), f"RUN uses {tool}: {args}"
            assert "://" not in args, f"RUN names a URL: {args}"
            if "install" in args:
                assert re.search(r"\b(pip|apt-get) install\b", args), args


def test_writable_paths_and_defaults() -> None:
    text = DOCKERFILE.read_text()
    assert "MESH_DATA_DIR=/var/lib/meshconsole" in text
    assert "install -d -o 10001 -g 10001" in text and "/var/lib/meshconsole" in text
    assert "MESH_ENV=production" in text, "the image fails closed: production needs its secrets"
    assert "PYTHONDONTWRITEBYTECODE=1" in text, "a read-only root filesystem cannot take .pyc files"


def test_project_installs_what_the_image_runs() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    includes = project["tool"]["setuptools"]["packages"]["find"]["include"]
    assert any(re.fullmatch(p.replace("*", ".*"), "deploy") for p in includes), "deploy.healthcheck"
    scripts = project["project"].get("scripts", {})
    assert "meshconsole" in scripts, "the image's ENTRYPOINT needs the `meshconsole` console script"


# --------------------------------------------------------------------------- .dockerignore
def dockerignore_patterns() -> list[str]:
    lines = [ln.strip() for ln in DOCKERIGNORE.read_text().splitlines()]
    return [ln for ln in lines if ln and not ln.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore matching (Go filepath.Match plus **), enough for these patterns."""
    verdict = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex += "(?:.*/)?"
                i += 3
            elif pattern.startswith("**", i):
                regex += ".*"
                i += 2
            elif pattern[i] == "*":
                regex += "[^/]*"
                i += 1
            elif pattern[i] == "?":
                regex += "[^/]"
                i += 1
            elif pattern[i] == "[":
                end = pattern.index("]", i)
                regex += pattern[i : end + 1]
                i = end + 1
            else:
                regex += re.escape(pattern[i])
                i += 1
        # A pattern that matches a directory excludes everything below it.
        if re.fullmatch(regex + "(?:/.*)?", path):
            verdict = not negate
    return verdict


def test_dockerignore_sits_at_the_build_context_root() -> None:
    assert DOCKERIGNORE.is_file()
    # The documented build uses the repository root as the context, where this .dockerignore is.
    assert re.search(r"docker build -f deploy/Dockerfile( -t \S+)? \.(\s|$)", DOCKERFILE.read_text())


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".venv/bin/python",
        ".data/identity.db",
        "deploy/.env",
        ".env",
        "tests/k8s/test_chart.py",
        "services/kit/__pycache__/db.cpython-311.pyc",
        "k8s/values.yaml",
        "key.pem",
    ],
)
def test_dockerignore_keeps_out(path: str) -> None:
    assert ignored(path, dockerignore_patterns())


@pytest.mark.parametrize(
    "path",
    [
        "pyproject.toml",
        "README.md",
        "deploy/__init__.py",
        "deploy/healthcheck.py",
        "gateway/main.py",
        "services/kit/db.py",
        "proto/meshconsole/identity/v1/identity_pb2.py",
    ],
)
def test_dockerignore_keeps_what_the_build_needs(path: str) -> None:
    assert not ignored(path, dockerignore_patterns())
    assert (REPO / path).exists() or path == "README.md"


def json_args(args: str) -> list[str]:
    import json

    try:
        value = json.loads(args)
    except json.JSONDecodeError:
        return shlex.split(args)
    assert isinstance(value, list)
    return [str(v) for v in value]


def test_helpers_can_fail() -> None:
    assert ignored("a/b.pyc", ["**/*.pyc"]) and not ignored("a/b.py", ["**/*.pyc"])
    assert not ignored("x/.env", ["**/.env", "!x/.env"])
    assert Path(DOCKERFILE).name == "Dockerfile"
