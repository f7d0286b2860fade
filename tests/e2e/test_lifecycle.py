"""Launcher lifecycle: data survives a restart, a stopped service is started again, stop is clean."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from tests.e2e.conftest import ADMIN_ACCOUNT, ADMIN_PASSWORD, sha, start_mesh
from tests.e2e.process_helpers import wait_until


def _login(base_url: str, account: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{base_url}/next_console/login_by_password",
        json={"user_account": account, "user_password": sha(password)},
        timeout=30,
    )


def test_restart_keeps_data_and_a_service_that_exits_is_started_again(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    mesh = start_mesh(data_dir)
    try:
        token = _login(mesh.base_url, ADMIN_ACCOUNT, ADMIN_PASSWORD).json()["result"]["token"]
        created = httpx.post(
            f"{mesh.base_url}/admin/v1/users",
            json={"account": "henry@restart.test", "password": "henry-pass-1", "company": "Restart Co"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201
    finally:
        mesh.stop()
    assert len(mesh.processes) == 8 and all(p.poll() is not None for p in mesh.processes.values())

    mesh = start_mesh(data_dir)
    try:
        again = _login(mesh.base_url, "henry@restart.test", "henry-pass-1")
        assert again.status_code == 200
        assert again.json()["result"]["user_info"]["user_company"] == "Restart Co"
        # A token from before the restart still verifies: the signing key persisted too.
        users = httpx.post(
            f"{mesh.base_url}/next_console/user_center/users/get",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert users.status_code == 200

        # A service that exits, even cleanly, is started again; the gateway stays ready meanwhile.
        stopped = mesh.processes["meetings"]
        stopped.send_signal(signal.SIGTERM)
        assert stopped.wait(timeout=30) == 0
        assert httpx.get(f"{mesh.base_url}/readyz").status_code == 200
        wait_until(
            lambda: mesh.processes["meetings"].pid != stopped.pid, timeout_s=30, what="meetings to be started again"
        )
    finally:
        mesh.stop()
    log = (data_dir / "logs" / "identity.log").read_text()
    assert '"event":"stopped"' in log
