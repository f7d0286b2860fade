"""A service that cannot be reached answers 503 with Retry-After in each dialect, telling nothing of the mesh inside;
every 429 carries Retry-After too.

A second gateway is built in-process with create_app(): it shares the e2e mesh's identity, Redis and NATS, while
files and chat point at a port nobody listens on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.config import GatewaySettings
from gateway.main import create_app
from services.kit.testing.servers import free_port
from tests.e2e.chat.helpers import bearer, new_tenant
from tests.e2e.conftest import MeshClient, sha

DOWN = ("files", "chat")


@pytest.fixture(scope="module")
def degraded(mesh: MeshClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, int]]:
    running = mesh.mesh
    assert running.nats is not None and running.valkey is not None
    closed = free_port()
    addrs = {f"{name}_addr": f"127.0.0.1:{port}" for name, port in running.service_ports.items()}
    addrs.update({f"{name}_addr": f"127.0.0.1:{closed}" for name in DOWN})
    settings = GatewaySettings(
        nats_url=running.nats.url,
        redis_url=running.valkey.url,
        data_dir=tmp_path_factory.mktemp("degraded-gateway"),
        # The gateway's mesh credential key derives from the mesh's secret in dev.
        secret_key=(running.data_dir / "secret_key").read_text().strip(),
        **addrs,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, closed


def envelope_ok(dialect: str, body: dict[str, Any]) -> bool:
    if dialect == "nextconsole":
        return body["error_status"] is True and body["error_code"] == 503
    if dialect == "dify":
        return body["status"] == 503 and body["code"] == "service_unavailable"
    if dialect == "nexent":
        return set(body) == {"detail"}
    if dialect == "lbai":
        return (body["data"], body["errorCode"], body["success"]) == (None, 503, False)
    return body["reason"] == "service_unavailable"


def test_a_down_service_answers_503_with_retry_after_in_every_dialect(
    mesh: MeshClient, degraded: tuple[TestClient, int]
) -> None:
    client, closed = degraded
    token = new_tenant(mesh, "degraded")
    app_id = uuid.uuid4()
    attempts = [
        ("nextconsole", "POST", "/next_console/resources/object/download", {"resource_id": 1}, token),
        ("dify", "GET", f"/console/api/apps/{app_id}/chat-conversations", None, token),
        (
            "dify",
            "POST",
            f"/console/api/apps/{app_id}/chat-messages",
            {"query": "x", "response_mode": "blocking"},
            token,
        ),
        ("nexent", "GET", "/api/conversation/list", None, token),
        ("nexent", "GET", "/api/file/storage", None, token),
        ("lbai", "GET", "/ai-api/v1/cloudSpace/list", None, token),
        ("admin", "GET", "/admin/v1/limits", None, mesh.admin_token()),
    ]
    for dialect, method, path, body, who in attempts:
        reply = client.request(method, path, json=body, headers=bearer(who))
        assert reply.status_code == 503, (path, reply.status_code, reply.text)
        assert envelope_ok(dialect, reply.json()), (path, reply.text)
        assert reply.headers.get("retry-after", "").isdigit(), (path, dict(reply.headers))
        text = reply.text.lower()
        for leak in ("127.0.0.1", str(closed), "ipv4", "connect to", "unavailable:", "grpc", "refused"):
            assert leak not in text, (path, leak, reply.text)


def test_rate_limited_answers_carry_retry_after(mesh: MeshClient) -> None:
    account = f"limited-{uuid.uuid4().hex[:8]}@e2e.test"
    mesh.create_user(account, "right-pass-1", "Limited Co")
    wrong = {"user_account": account, "user_password": sha("wrong-password")}
    codes = [mesh.http.post("/next_console/login_by_password", json=wrong).status_code for _ in range(6)]
    assert codes[-1] == 429, codes
    limited = mesh.http.post(
        "/next_console/login_by_password", json={"user_account": account, "user_password": sha("right-pass-1")}
    )
    assert limited.status_code == 429 and limited.json()["error_code"] == 429
    assert int(limited.headers.get("retry-after", "0")) > 0, dict(limited.headers)
