"""End to end: bring the compose stack up with pytest-docker and smoke-test it through the gateway.

Needs a Docker engine with Compose v2 (it builds the image and pulls the backends). Without one the
test is skipped and the reason is printed in the summary.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.k8s._chart import REPO

COMPOSE_FILE = REPO / "deploy" / "compose.yaml"


def docker_unavailable_reason() -> str | None:
    """Why the stack cannot run here, or None when a Docker engine with Compose v2 answers."""
    docker = shutil.which("docker")
    if docker is None:
        return "no Docker engine: the docker CLI is not on PATH"
    try:
        info = subprocess.run([docker, "info"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"no Docker engine: `docker info` failed ({exc})"
    if info.returncode != 0:
        detail = info.stderr.decode(errors="replace").strip().splitlines()
        return f"no Docker engine: `docker info` failed ({detail[-1] if detail else info.returncode})"
    compose = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=20, check=False)
    if compose.returncode != 0:
        return "Docker Compose v2 (`docker compose`) is not installed"
    return None


DOCKER_UNAVAILABLE = docker_unavailable_reason()
pytestmark = [
    pytest.mark.skipif(DOCKER_UNAVAILABLE is not None, reason=f"compose e2e: {DOCKER_UNAVAILABLE}"),
    # Building the image and starting Elasticsearch take minutes; pytest-timeout counts the setup.
    pytest.mark.timeout(1800),
]

ADMIN_ACCOUNT = "admin@meshconsole.test"
ADMIN_PASSWORD = secrets.token_hex(16)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def compose_env_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deploy/.env for the test: fresh random secrets, the gateway on a free loopback port."""
    values = {
        "MESH_SECRET_KEY": secrets.token_hex(32),
        "MESH_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "MESH_ADMIN_ACCOUNT": ADMIN_ACCOUNT,
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "REDIS_PASSWORD": secrets.token_hex(16),
        "ELASTIC_PASSWORD": secrets.token_hex(16),
        "MINIO_ROOT_USER": f"mesh{secrets.token_hex(4)}",
        "MINIO_ROOT_PASSWORD": secrets.token_hex(16),
        "OPENAI_API_KEY": "sk-e2e-unused",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "MESH_GATEWAY_BIND": "127.0.0.1",
        "MESH_GATEWAY_PORT": str(_free_port()),
        "MESH_IMAGE": "meshconsole:e2e",
    }
    path = tmp_path_factory.mktemp("compose") / "e2e.env"
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return path


# pytest-docker fixtures, pointed at deploy/compose.yaml.
@pytest.fixture(scope="session")
def docker_compose_file() -> str:
    return str(COMPOSE_FILE)


@pytest.fixture(scope="session")
def docker_compose_project_name() -> str:
    return f"meshconsole-e2e-{secrets.token_hex(3)}"


@pytest.fixture(scope="session")
def docker_setup(compose_env_file: Path) -> list[str]:
    return [f'--env-file "{compose_env_file}" up --build --detach --wait --wait-timeout 900']


@pytest.fixture(scope="session")
def docker_cleanup(compose_env_file: Path) -> list[str]:
    return [f'--env-file "{compose_env_file}" down --volumes --remove-orphans --timeout 30']


@pytest.fixture(scope="session")
def gateway_url(docker_services, docker_ip: str) -> Iterator[str]:  # type: ignore[no-untyped-def]
    import httpx

    url = f"http://{docker_ip}:{docker_services.port_for('gateway', 8080)}"

    def ready() -> bool:
        try:
            return httpx.get(f"{url}/readyz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    docker_services.wait_until_responsive(check=ready, timeout=300, pause=2)
    yield url


def test_stack_serves_through_the_gateway(gateway_url: str) -> None:
    import httpx

    with httpx.Client(base_url=gateway_url, timeout=30) as client:
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.headers.get("x-request-id")
        assert client.get("/readyz").status_code == 200
        assert client.get("/metrics").status_code == 200

        # identity over PostgreSQL and Redis, reached through the gateway's NextConsole dialect.
        login = client.post(
            "/next_console/login_by_password",
            json={
                "user_account": ADMIN_ACCOUNT,
                "user_password": hashlib.sha256(ADMIN_PASSWORD.encode()).hexdigest(),
            },
        )
        assert login.status_code == 200, login.text
        body = login.json()
        assert body["error_status"] is False, body
        token = body["result"]["token"]
        me = client.post("/next_console/user_center/users/get", json={}, headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
        assert me.json()["error_status"] is False

        # A bad token answers 401 in the dialect's envelope, never a 500.
        denied = client.post("/next_console/user_center/users/get", json={}, headers={"Authorization": "Bearer x"})
        assert denied.status_code == 401
