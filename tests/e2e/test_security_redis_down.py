"""Dependencies down, on a mesh of its own whose Redis (then identity) this test stops for good.

With Redis down, JWTs keep working (verified locally), API keys resolve through identity, and the login limiter
fails closed with 503 and Retry-After; with identity down too, an API key no cache holds gets 503 and
Retry-After while JWTs still reach the other services. Every 429 carries Retry-After. Never a 500.
"""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator

import httpx
import pytest

from deploy.local.launcher import LaunchConfig, Mesh
from deploy.local.supervisor import RestartPolicy
from services.kit.embedded import free_port
from tests.e2e.conftest import ADMIN_ACCOUNT, ADMIN_PASSWORD, MeshClient, sha
from tests.e2e.process_helpers import wait_until

LOGIN = "/next_console/login_by_password"
USERS_GET = "/next_console/user_center/users/get"


@pytest.fixture(scope="module")
def own_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MeshClient]:
    """A mesh that restarts nothing this test stops (the first restart would come after an hour)."""
    config = LaunchConfig(
        port=free_port(),
        data_dir=tmp_path_factory.mktemp("redis-down"),
        admin_account=ADMIN_ACCOUNT,
        admin_password=ADMIN_PASSWORD,
        log_to_files=True,
        restart_policy=RestartPolicy(first_backoff_s=3600.0, max_backoff_s=3600.0),
    )
    running = Mesh(config).start()
    try:
        with httpx.Client(base_url=running.base_url, timeout=30.0) as http:
            yield MeshClient(mesh=running, http=http)
    finally:
        running.stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unavailable(reply: httpx.Response) -> bool:
    """503 in NextConsole's envelope with a Retry-After in seconds."""
    assert reply.status_code == 503, reply.text
    body = reply.json()
    assert (body["error_code"], body["error_status"]) == (503, True), body
    assert reply.headers.get("retry-after", "").isdigit(), dict(reply.headers)
    return True


def test_redis_then_identity_down(own_mesh: MeshClient) -> None:
    mesh, http = own_mesh.mesh, own_mesh.http
    admin = bearer(own_mesh.admin_token())
    suffix = uuid.uuid4().hex[:8]
    accounts = {name: f"{name}-{suffix}@down.test" for name in ("jwt", "keyed", "locked")}
    users = {name: own_mesh.create_user(account, "down-pass-12", "Down Co") for name, account in accounts.items()}
    token = own_mesh.login(accounts["jwt"], "down-pass-12")
    keys = []
    for _ in range(2):
        made = http.post(
            "/admin/v1/api-keys", json={"user_id": users["keyed"]["user_id"], "kind": "user"}, headers=admin
        )
        assert made.status_code == 201, made.text
        keys.append(str(made.json()["key"]))

    # Redis up: failed logins end in 429, which says when to come back (the oldest failure leaves 900 s later).
    wrong = {"user_account": accounts["locked"], "user_password": sha("wrong-password")}
    codes = [http.post(LOGIN, json=wrong).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429], codes
    limited = http.post(LOGIN, json=wrong)
    assert limited.status_code == 429 and limited.json()["error_code"] == 429
    assert 890 <= int(limited.headers["retry-after"]) <= 900, dict(limited.headers)

    assert mesh.valkey is not None
    mesh.valkey.stop()
    wait_until(lambda: http.get("/readyz").json()["checks"]["redis"] == "unreachable", timeout_s=10, what="redis down")
    # JWTs need no Redis.
    assert http.post(USERS_GET, headers=bearer(token)).json()["result"]["user_id"] == users["jwt"]["user_id"]
    assert http.get("/admin/v1/limits", headers=bearer(token)).status_code == 200
    # The login limiter cannot count: it refuses rather than let guesses through unlimited.
    right = {"user_account": accounts["jwt"], "user_password": sha("down-pass-12")}
    assert unavailable(http.post(LOGIN, json=right))
    # An API key no cache holds is checked with identity, the authority; the cache being down changes nothing.
    as_key = http.post(USERS_GET, headers=bearer(keys[0]))
    assert as_key.status_code == 200 and as_key.json()["result"]["user_id"] == users["keyed"]["user_id"]

    identity = mesh.processes["identity"]
    identity.send_signal(signal.SIGTERM)
    assert identity.wait(timeout=30) == 0
    # Neither a cache nor identity can vouch for this key: fail closed, and say when to retry.
    assert unavailable(http.post(USERS_GET, headers=bearer(keys[1])))
    assert unavailable(http.post(LOGIN, json=right))
    # JWTs are still verified locally and reach the services that are up.
    assert http.get("/admin/v1/limits", headers=bearer(token)).status_code == 200
    assert http.get("/api/conversation/list", headers=bearer(token)).status_code == 200
