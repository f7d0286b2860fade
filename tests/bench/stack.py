"""The streaming bench's three paths: the scripted upstream, a LiteLLM proxy from its own lock, and the mesh."""

from __future__ import annotations

import hashlib
import os
import resource
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from deploy.local.launcher import LaunchConfig, Mesh
from services.kit.testing.servers import free_port
from tests.bench.bench_upstream import MODELS

REPO = Path(__file__).resolve().parents[2]
LITELLM_PROJECT = Path(__file__).with_name("litellm")
LITELLM_VENV = REPO / ".bench" / "litellm"
UV = REPO / ".tools" / "uv" / "bin" / "uv"
RUN_PATH = "/next_console/app_center/app_run/v2/chat/completions"
ADMIN = ("bench@mesh.test", "bench-password-1")
LITELLM_KEY = "sk-bench-" + secrets.token_hex(16)


def raise_fd_limit() -> None:
    """1,000 streams hold 2,000+ sockets per process on one host; children inherit the raised limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _wait_http(url: str, process: subprocess.Popen[bytes], what: str, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{what} did not start")


def start_upstream() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tests.bench.bench_upstream", "--port", str(port)], cwd=REPO)
    _wait_http(f"http://127.0.0.1:{port}/v1/models", process, "bench upstream")
    return process, f"http://127.0.0.1:{port}/v1"


def ensure_litellm() -> Path:
    """The LiteLLM venv, synced from tests/bench/litellm/uv.lock on first use (never the product's .venv)."""
    binary = LITELLM_VENV / "bin" / "litellm"
    stamp = LITELLM_VENV / ".synced"
    lock = LITELLM_PROJECT / "uv.lock"
    if binary.exists() and stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return binary
    LITELLM_VENV.parent.mkdir(exist_ok=True)
    (LITELLM_VENV.parent / ".gitignore").write_text("*\n")
    env = dict(os.environ, UV_PROJECT_ENVIRONMENT=str(LITELLM_VENV), UV_PYTHON_DOWNLOADS="never")
    command = [str(UV), "sync", "--frozen", "--project", str(LITELLM_PROJECT), "--python", "python3"]
    subprocess.run(command, env=env, check=True, cwd=REPO)
    stamp.touch()
    return binary


def start_litellm(upstream_url: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """LiteLLM proxy 1.x, one worker, every bench model routed to the same upstream."""
    binary = ensure_litellm()
    entries = "".join(
        f"  - model_name: {model}\n    litellm_params:\n      model: openai/{model}\n"
        f"      api_base: {upstream_url}\n      api_key: bench\n"
        for model in MODELS
    )
    config = workdir / "litellm.yaml"
    config.write_text(f"model_list:\n{entries}litellm_settings:\n  telemetry: false\n  drop_params: true\n")
    port = free_port()
    # Authenticated like the mesh: LiteLLM checks a master key on every request (and refuses to start without one).
    env = dict(os.environ, LITELLM_MASTER_KEY=LITELLM_KEY, LITELLM_LOG="ERROR", LITELLM_TELEMETRY="False")
    log = open(workdir / "litellm.log", "ab")
    command = [str(binary), "--config", str(config), "--port", str(port), "--num_workers", "1"]
    process = subprocess.Popen(command, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    _wait_http(f"http://127.0.0.1:{port}/health/liveliness", process, "litellm", timeout_s=180)
    return process, f"http://127.0.0.1:{port}"


@dataclass
class MeshPath:
    mesh: Mesh
    headers: dict[str, str]
    apps: dict[str, str]  # bench model -> app id

    @property
    def url(self) -> str:
        return self.mesh.base_url + RUN_PATH

    def pid(self, name: str) -> int:
        return self.mesh.processes[name].pid


def start_mesh(upstream_url: str, data_dir: Path, settings: dict[str, str] | None = None) -> MeshPath:
    """The whole mesh through the launcher (as `make run`), an admin token and one app per bench model."""
    config = LaunchConfig(
        port=free_port(),
        data_dir=data_dir,
        admin_account=ADMIN[0],
        admin_password=ADMIN[1],
        openai={"OPENAI_BASE_URL": upstream_url, "OPENAI_API_KEY": "bench", "MESH_DEFAULT_MODEL": "bench-single"},
        log_to_files=True,
        settings={"MESH_LOG_LEVEL": "warning", **(settings or {})},
    )
    mesh = Mesh(config).start()
    try:
        with httpx.Client(base_url=mesh.base_url, timeout=60) as http:
            login = {"user_account": ADMIN[0], "user_password": hashlib.sha256(ADMIN[1].encode()).hexdigest()}
            token = http.post("/next_console/login_by_password", json=login).json()["result"]["token"]
            headers = {"Authorization": f"Bearer {token}"}
            apps = {model: _app(http, headers, model) for model in MODELS}
    except BaseException:
        mesh.stop()
        raise
    return MeshPath(mesh=mesh, headers=headers, apps=apps)


def _app(http: httpx.Client, headers: dict[str, str], model: str) -> str:
    app_id = str(http.post("/console/api/apps", json={"name": model, "mode": "chat"}, headers=headers).json()["id"])
    config = {"pre_prompt": "", "model": {"provider": "openai_api_compatible", "name": model, "completion_params": {}}}
    http.post(f"/console/api/apps/{app_id}/model-config", json=config, headers=headers).raise_for_status()
    return app_id
