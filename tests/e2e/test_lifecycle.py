"""Launcher lifecycle: readiness names missing services, data survives a restart, stop is clean."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx

from tests.e2e.conftest import ADMIN_ACCOUNT, ADMIN_PASSWORD, sha, start_mesh


def _login(base_url: str, account: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{base_url}/next_console/login_by_password",
        json={"user_account": account, "user_password": sha(password)},
        timeout=30,
    )


def test_restart_keeps_data_and_readyz_names_a_dead_service(tmp_path: Path) -> None:
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
    assert all(p.poll() is not None for p in mesh.processes.values())

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

        mesh.processes["meetings"].send_signal(signal.SIGTERM)
        mesh.processes["meetings"].wait(timeout=30)
        deadline = time.monotonic() + 10
        reply = httpx.get(f"{mesh.base_url}/readyz")
        while reply.status_code != 503 and time.monotonic() < deadline:
            time.sleep(0.2)
            reply = httpx.get(f"{mesh.base_url}/readyz")
        assert reply.status_code == 503
        assert reply.json()["not_serving"] == ["meetings"]
    finally:
        mesh.stop()
    log = (data_dir / "logs" / "identity.log").read_text()
    assert '"event":"stopped"' in log
