"""The whole mesh, started through the same launcher as `make run`, plus helpers to drive it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from deploy.local.launcher import LaunchConfig, Mesh
from services.kit.embedded import free_port
from services.kit.testing.openai_upstream import ScriptedUpstream

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


UPSTREAM_MODEL = "mesh-e2e-model"
UPSTREAM_KEY = "sk-e2e-upstream-key"


def start_mesh(
    data_dir: Path, upstream: ScriptedUpstream | None = None, settings: dict[str, str] | None = None
) -> Mesh:
    openai = {}
    if upstream is not None:
        openai = {
            "OPENAI_BASE_URL": upstream.base_url,
            "OPENAI_API_KEY": UPSTREAM_KEY,
            "MESH_DEFAULT_MODEL": UPSTREAM_MODEL,
        }
    config = LaunchConfig(
        port=free_port(),
        data_dir=data_dir,
        admin_account=ADMIN_ACCOUNT,
        admin_password=ADMIN_PASSWORD,
        openai=openai,
        log_to_files=True,
        settings=dict(settings or {}),
    )
    return Mesh(config).start()


@pytest.fixture(scope="session")
def upstream() -> Iterator[ScriptedUpstream]:
    """The scripted OpenAI-compatible upstream the e2e mesh uses as its default provider."""
    with ScriptedUpstream(models=(UPSTREAM_MODEL, "mesh-e2e-other"), api_key=UPSTREAM_KEY) as server:
        yield server


@pytest.fixture
def scripted(upstream: ScriptedUpstream) -> Iterator[ScriptedUpstream]:
    """The upstream with no leftover scripts from earlier tests."""
    upstream.reset()
    yield upstream
    upstream.reset()


@pytest.fixture(scope="session")
def mesh(tmp_path_factory: pytest.TempPathFactory, upstream: ScriptedUpstream) -> Iterator[MeshClient]:
    """One mesh for the e2e session, with the scripted upstream as its default model provider."""
    # Tests register models on other loopback ports, as an operator with a local model server would allow.
    loopback_models = {"MESH_MODEL_ENDPOINT_NETWORKS": "127.0.0.0/8"}
    running = start_mesh(tmp_path_factory.mktemp("mesh"), upstream, settings=loopback_models)
    try:
        with httpx.Client(base_url=running.base_url, timeout=30.0) as http:
            yield MeshClient(mesh=running, http=http)
    finally:
        running.stop()
