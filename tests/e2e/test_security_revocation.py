"""Revocation that holds: a key-minted JWT dies with its key, and a user's tokens die when they are disabled or
their password changes, within 5 s on every gateway, including one started after the revocation.

The second and third gateways are built in-process with create_app() against the e2e mesh's services, NATS and
Redis: one runs before the revocation (it learns it from the event), one starts after it (it learns it from
identity's durable list, having missed the event).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.config import GatewaySettings
from gateway.main import create_app
from tests.e2e.conftest import MeshClient, sha
from tests.e2e.process_helpers import wait_until

USERS_GET = "/next_console/user_center/users/get"
REFRESH = "/next_console/user_center/refresh_token"
WITHIN_S = 5.0
Client = httpx.Client | TestClient


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextlib.contextmanager
def extra_gateway(mesh: MeshClient, data_dir: Path) -> Iterator[TestClient]:
    """Another gateway replica, in-process, sharing the mesh's services, NATS and Redis."""
    running = mesh.mesh
    assert running.nats is not None and running.valkey is not None
    addrs = {f"{name}_addr": f"127.0.0.1:{port}" for name, port in running.service_ports.items()}
    # The mesh's secret: in dev the gateway's key for signing mesh credentials is derived from it.
    secret = (running.data_dir / "secret_key").read_text().strip()
    settings = GatewaySettings(
        nats_url=running.nats.url, redis_url=running.valkey.url, data_dir=data_dir, secret_key=secret, **addrs
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def replica(mesh: MeshClient, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with extra_gateway(mesh, tmp_path_factory.mktemp("replica")) as client:
        yield client


def new_user(mesh: MeshClient, label: str) -> tuple[dict[str, Any], str, str]:
    """A fresh user: (the admin API's record, account, password)."""
    account, password = f"{label}-{uuid.uuid4().hex[:8]}@revoke.test", "revoke-pass-1"
    return mesh.create_user(account, password, f"Revoke {label}"), account, password


def works(client: Client, token: str) -> bool:
    reply = client.post(USERS_GET, headers=bearer(token))
    assert reply.status_code in (200, 401), reply.text
    return reply.status_code == 200


def refused(client: Client, token: str) -> bool:
    """True once the token gets 401 in NextConsole's envelope."""
    reply = client.post(USERS_GET, headers=bearer(token))
    if reply.status_code == 200:
        return False
    body = reply.json()
    assert reply.status_code == 401, reply.text
    assert (body["error_code"], body["error_status"], body["result"]) == (401, True, None), body
    return True


def refused_everywhere(clients: list[Client], *tokens: str, what: str) -> None:
    wait_until(lambda: all(refused(c, t) for c in clients for t in tokens), timeout_s=WITHIN_S, what=what)


def in_days(days: int) -> str:
    return (dt.datetime.now() + dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


def mint(client: Client, token: str) -> str:
    """A JWT from refresh_token, valid for 300 days (inside the one-year bound in any timezone)."""
    reply = client.post(REFRESH, json={"expire_time": in_days(300)}, headers=bearer(token))
    assert reply.status_code == 200, reply.text
    return str(reply.json()["result"]["token"])


def admin(mesh: MeshClient) -> dict[str, str]:
    return bearer(mesh.admin_token())


def test_a_key_minted_jwt_dies_with_its_key_on_every_gateway(
    mesh: MeshClient, replica: TestClient, tmp_path: Path
) -> None:
    user, account, password = new_user(mesh, "keyed")
    made = mesh.http.post("/admin/v1/api-keys", json={"user_id": user["user_id"], "kind": "user"}, headers=admin(mesh))
    assert made.status_code == 201, made.text
    key = str(made.json()["key"])
    minted = mint(mesh.http, key)
    # A token minted from the minted token names the same key.
    chained = mint(replica, minted)
    login = mesh.login(account, password)
    for client in (mesh.http, replica):
        assert works(client, minted) and works(client, chained) and works(client, key)

    revoked = mesh.http.delete(f"/admin/v1/api-keys/{made.json()['key_id']}", headers=admin(mesh))
    assert revoked.status_code == 200
    refused_everywhere([mesh.http, replica], key, minted, chained, what="the key and its tokens to be refused")
    # The user's own login token was not minted from the key: it still works.
    assert works(mesh.http, login) and works(replica, login)
    # A gateway started after the revocation never saw the event; it still refuses from identity's list.
    with extra_gateway(mesh, tmp_path) as late:
        assert refused(late, minted) and refused(late, chained)
        assert works(late, login)
    again = mesh.http.post(REFRESH, json={"expire_time": in_days(1)}, headers=bearer(minted))
    assert again.status_code == 401


def test_a_new_password_ends_old_tokens_and_not_new_ones(mesh: MeshClient, replica: TestClient) -> None:
    user, account, password = new_user(mesh, "password")
    old = mesh.login(account, password)
    minted = mint(mesh.http, old)
    assert works(mesh.http, old) and works(replica, minted)

    changed = mesh.http.patch(
        f"/admin/v1/users/{user['user_id']}", json={"password": "revoke-pass-2"}, headers=admin(mesh)
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "active" and changed.json()["tokens_not_before"] > 0
    refused_everywhere([mesh.http, replica], old, minted, what="tokens from before the password change")
    fresh = mesh.login(account, "revoke-pass-2")
    assert works(mesh.http, fresh) and works(replica, fresh)
    stale = mesh.http.post(
        "/next_console/login_by_password", json={"user_account": account, "user_password": sha(password)}
    )
    assert stale.status_code == 401


def test_a_disabled_user_loses_tokens_and_keys_and_stays_out_when_enabled_again(
    mesh: MeshClient, replica: TestClient
) -> None:
    user, account, password = new_user(mesh, "disabled")
    token = mesh.login(account, password)
    made = mesh.http.post("/admin/v1/api-keys", json={"user_id": user["user_id"], "kind": "user"}, headers=admin(mesh))
    key = str(made.json()["key"])
    assert works(mesh.http, token) and works(replica, key)
    path = f"/admin/v1/users/{user['user_id']}"

    disabled = mesh.http.patch(path, json={"status": "disabled"}, headers=admin(mesh))
    assert disabled.status_code == 200 and disabled.json()["status"] == "disabled"
    refused_everywhere([mesh.http, replica], token, key, what="a disabled user's token and key to be refused")
    enabled = mesh.http.patch(path, json={"status": "active"}, headers=admin(mesh))
    cutoff = disabled.json()["tokens_not_before"]
    assert enabled.json() == {"user_id": user["user_id"], "status": "active", "tokens_not_before": cutoff}
    # Enabling again brings the key back, never the tokens issued before the user was disabled.
    assert refused(mesh.http, token) and refused(replica, token)
    assert works(mesh.http, mesh.login(account, password))


def test_user_access_changes_need_an_admin_and_valid_input(mesh: MeshClient) -> None:
    user, account, password = new_user(mesh, "checks")
    path = f"/admin/v1/users/{user['user_id']}"
    as_user = mesh.http.patch(path, json={"status": "disabled"}, headers=bearer(mesh.login(account, password)))
    assert as_user.status_code == 403
    for body, field in (({"status": "gone"}, "status"), ({"password": "short"}, "password"), ({}, "status")):
        reply = mesh.http.patch(path, json=body, headers=admin(mesh))
        assert reply.status_code == 400 and reply.json()["field"] == field, reply.text
    missing = mesh.http.patch("/admin/v1/users/999999", json={"end_sessions": True}, headers=admin(mesh))
    assert missing.status_code == 404
