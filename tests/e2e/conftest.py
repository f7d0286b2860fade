"""The whole mesh, started through the same launcher as `make run`, plus helpers to drive it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from deploy.local.launcher import LaunchConfig, Mesh
from services.kit.testing.servers import free_port

ADMIN_ACCOUNT = "admin@e2e.test"
ADMIN_PASSWORD = "e2e-admin-password"


def sha(raw: str) -> str:
    """The client-side password digest NextConsole clients send."""
    return hashlib.sha256(raw.strip().encode()).hexdigest()


@dataclass
class MeshClient:
    mesh: Mesh
    http: httpx.Client

    def login(self, account: str, password: str, *, remember: bool = False) -> str:
        reply = self.http.post(
            "/next_console/login_by_password",
            json={"user_account": account, "user_password": sha(password), "session_30_flag": remember},
        )
        assert reply.status_code == 200, reply.text
        return str(reply.json()["result"]["token"])

    def admin_token(self) -> str:
        return self.login(ADMIN_ACCOUNT, ADMIN_PASSWORD)

    def create_user(self, account: str, password: str, company: str, **extra: object) -> dict[str, object]:
        reply = self.http.post(
            "/admin/v1/users",
            json={"account": account, "password": password, "company": company, **extra},
            headers={"Authorization": f"Bearer {self.admin_token()}"},
        )
        assert reply.status_code == 201, reply.text
        return dict(reply.json())


def start_mesh(data_dir: Path) -> Mesh:
    config = LaunchConfig(
        port=free_port(),
        data_dir=data_dir,
        admin_account=ADMIN_ACCOUNT,
        admin_password=ADMIN_PASSWORD,
        log_to_files=True,
    )
    return Mesh(config).start()


@pytest.fixture(scope="session")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MeshClient]:
    """One mesh for the e2e session."""
    running = start_mesh(tmp_path_factory.mktemp("mesh"))
    try:
        with httpx.Client(base_url=running.base_url, timeout=30.0) as http:
            yield MeshClient(mesh=running, http=http)
    finally:
        running.stop()
