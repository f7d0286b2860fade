"""`python -m deploy.local.launcher` as `make run` runs it: settings pass through, stops leave no process behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from services.kit.embedded import free_port
from services.kit.settings import SERVICE_NAMES
from tests.e2e.conftest import ADMIN_ACCOUNT, ADMIN_PASSWORD, sha
from tests.e2e.process_helpers import alive, runs_module, survivors, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
CHILD_MODULES = (*(f"services.{name}" for name in SERVICE_NAMES), "gateway", "nats-server", "valkey-server")


@dataclass
class Launched:
    process: subprocess.Popen[bytes]  # the launcher, or the shell that runs it
    output: Path
    base_url: str

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def tree(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def child(self, module: str) -> psutil.Process | None:
        return next((p for p in self.tree() if runs_module(p, module) and alive(p)), None)

    def admin_headers(self) -> dict[str, str]:
        login = httpx.post(
            f"{self.base_url}/next_console/login_by_password",
            json={"user_account": ADMIN_ACCOUNT, "user_password": sha(ADMIN_PASSWORD)},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        return {"Authorization": f"Bearer {login.json()['result']['token']}"}


@contextlib.contextmanager
def launched(tmp_path: Path, *, under_shell: bool = False, **settings: str) -> Iterator[Launched]:
    """Run the launcher (optionally as a shell's child) until it prints that it listens; kill leftovers after."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MESH_", "OPENAI_"))}
    env.update(
        MESH_DATA_DIR=str(tmp_path / "data"),
        MESH_PORT=str(port),
        MESH_ADMIN_ACCOUNT=ADMIN_ACCOUNT,
        MESH_ADMIN_PASSWORD=ADMIN_PASSWORD,
        **settings,
    )
    argv = [sys.executable, "-m", "deploy.local.launcher"]
    if under_shell:
        # Not a lone command, so the shell stays the launcher's parent instead of exec-ing it.
        argv = ["sh", "-c", '"$0" -m deploy.local.launcher; echo "launcher exited with $?"', sys.executable]
    output = tmp_path / "launcher.out"
    with open(output, "wb") as sink:
        process = subprocess.Popen(argv, env=env, cwd=REPO_ROOT, stdout=sink, stderr=subprocess.STDOUT)
    mesh = Launched(process, output, f"http://127.0.0.1:{port}")
    started: list[psutil.Process] = []
    try:
        wait_until(
            lambda: "listening on" in mesh.text() or process.poll() is not None,
            timeout_s=120,
            what="the launcher to report the mesh ready",
        )
        assert process.poll() is None, mesh.text()[-3000:]
        started = mesh.tree()
        yield mesh
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        for leftover in started:
            if alive(leftover):
                with contextlib.suppress(psutil.Error):
                    leftover.kill()


def _assert_all_gone(processes: list[psutil.Process]) -> None:
    try:
        wait_until(lambda: not survivors(processes), timeout_s=60, what="every child to end")
    except AssertionError as error:
        raise AssertionError(f"{error}; still running: {survivors(processes)}") from None


def test_sigterm_stops_every_child_and_operator_settings_reach_the_services(tmp_path: Path) -> None:
    # MESH_NATS_URL and MESH_GRPC_PORT are the launcher's to decide: were they passed on, nothing would start.
    with launched(
        tmp_path, MESH_FILES_MAX_UPLOAD_MB="3", MESH_NATS_URL="nats://127.0.0.1:1", MESH_GRPC_PORT="1"
    ) as mesh:
        limits = httpx.get(f"{mesh.base_url}/admin/v1/limits", headers=mesh.admin_headers(), timeout=30)
        assert limits.status_code == 200, limits.text
        assert limits.json()["max_file_bytes"] == 3 * 1024 * 1024
        children = mesh.tree()
        assert sorted(m for m in CHILD_MODULES if any(runs_module(p, m) for p in children)) == sorted(CHILD_MODULES)
        mesh.process.send_signal(signal.SIGTERM)
        assert mesh.process.wait(timeout=90) == 0, mesh.text()[-3000:]
        _assert_all_gone(children)
        assert "MeshConsole stopped" in mesh.text()


def test_killing_the_launchers_parent_stops_the_mesh_cleanly(tmp_path: Path) -> None:
    with launched(tmp_path, under_shell=True) as mesh:
        processes = mesh.tree()
        assert any(runs_module(p, "deploy.local.launcher") for p in processes)
        mesh.process.kill()
        mesh.process.wait()
        # The kernel sends the launcher SIGTERM when its parent dies, and it stops as on Ctrl-C.
        _assert_all_gone(processes)
        assert "MeshConsole stopped" in mesh.text()


def test_a_sigkilled_launcher_leaves_no_orphans(tmp_path: Path) -> None:
    with launched(tmp_path) as mesh:
        children = mesh.tree()
        mesh.process.kill()
        mesh.process.wait()
        _assert_all_gone(children)


def test_a_crash_loop_gives_up_and_stops_the_mesh_with_a_failure(tmp_path: Path) -> None:
    with launched(tmp_path, MESH_LAUNCHER_MAX_CRASHES="2") as mesh:
        children = mesh.tree()
        first = mesh.child("services.meetings")
        assert first is not None
        first.kill()
        second = wait_until(
            lambda: (p := mesh.child("services.meetings")) is not None and p.pid != first.pid and p,
            timeout_s=30,
            what="meetings to be restarted",
        )
        second.kill()
        assert mesh.process.wait(timeout=90) == 1, mesh.text()[-3000:]
        _assert_all_gone([*children, second])
        output = mesh.text()
        assert "meetings exited (killed by SIGKILL); restarting in" in output
        assert "meetings crashed 2 times within 60s (last: killed by SIGKILL); giving up" in output
