"""Admin API, API keys across tenants, revocation, rate limiting, request ids and probes."""

from __future__ import annotations

import time

from tests.e2e.conftest import ADMIN_ACCOUNT, MeshClient, sha


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _key(mesh: MeshClient, user_id: object, kind: str) -> dict[str, object]:
    reply = mesh.http.post(
        "/admin/v1/api-keys", json={"user_id": user_id, "kind": kind}, headers=bearer(mesh.admin_token())
    )
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def test_probes_and_request_ids(mesh: MeshClient) -> None:
    assert mesh.http.get("/healthz").status_code == 200
    ready = mesh.http.get("/readyz")
    checks = {"redis": "ok", "nats": "ok", "revocations": "ok"}
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "checks": checks}
    metrics = mesh.http.get("/metrics")
    assert "mesh_gateway_requests_total" in metrics.text
    echoed = mesh.http.get("/healthz", headers={"X-Request-Id": "trace-abc-12345"})
    assert echoed.headers["x-request-id"] == "trace-abc-12345"
    assert mesh.http.get("/openapi.json").json()["info"]["title"] == "MeshConsole gateway"


def test_request_id_reaches_the_service_logs(mesh: MeshClient) -> None:
    request_id = f"e2e-trace-{time.time_ns()}"
    reply = mesh.http.post(
        "/next_console/login_by_password",
        json={"user_account": "trace@e2e.test", "user_password": sha("whatever")},
        headers={"X-Request-Id": request_id},
    )
    assert reply.headers["x-request-id"] == request_id
    logs = mesh.mesh.data_dir / "logs"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if request_id in (logs / "identity.log").read_text() and request_id in (logs / "gateway.log").read_text():
            return
        time.sleep(0.1)
    raise AssertionError("request id missing from identity or gateway logs")


def test_company_key_sees_company_users_and_user_key_only_itself(mesh: MeshClient) -> None:
    alice = mesh.create_user("alice@tenant-a.test", "alice-pass-1", "Tenant A")
    bob = mesh.create_user("bob@tenant-a.test", "bob-pass-12", "Tenant A")
    eve = mesh.create_user("eve@tenant-b.test", "eve-pass-12", "Tenant B")
    assert alice["company_id"] == bob["company_id"] != eve["company_id"]
    company_key = _key(mesh, alice["user_id"], "company")["key"]
    user_key = _key(mesh, bob["user_id"], "user")["key"]
    assert str(company_key).startswith("cpn-") and str(user_key).startswith("user-")

    get = "/next_console/user_center/users/get"
    as_company = mesh.http.post(get, json={"user_id": bob["user_id"]}, headers=bearer(str(company_key)))
    assert as_company.status_code == 200
    assert as_company.json()["result"]["user_account"] == "bob@tenant-a.test"
    own = mesh.http.post(get, headers=bearer(str(user_key)))
    assert own.json()["result"]["user_id"] == bob["user_id"]

    for key, target in ((user_key, alice["user_id"]), (company_key, eve["user_id"])):
        hidden = mesh.http.post(get, json={"user_id": target}, headers=bearer(str(key)))
        assert hidden.status_code == 404
        assert hidden.json()["error_code"] == 404


def test_revoked_key_stops_working_within_seconds(mesh: MeshClient) -> None:
    dave = mesh.create_user("dave@tenant-c.test", "dave-pass-1", "Tenant C")
    issued = _key(mesh, dave["user_id"], "user")
    headers = bearer(str(issued["key"]))
    assert mesh.http.post("/next_console/user_center/users/get", headers=headers).status_code == 200
    revoked = mesh.http.delete(f"/admin/v1/api-keys/{issued['key_id']}", headers=bearer(mesh.admin_token()))
    assert revoked.status_code == 200
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        if mesh.http.post("/next_console/user_center/users/get", headers=headers).status_code == 401:
            return
        time.sleep(0.1)
    raise AssertionError("revoked key still accepted after 3 s")


def test_admin_routes_need_the_admin_role(mesh: MeshClient) -> None:
    mesh.create_user("frank@tenant-d.test", "frank-pass-1", "Tenant D")
    token = mesh.login("frank@tenant-d.test", "frank-pass-1")
    reply = mesh.http.post(
        "/admin/v1/users",
        json={"account": "x@y.test", "password": "password-1", "company": "X"},
        headers=bearer(token),
    )
    assert reply.status_code == 403
    assert reply.json()["reason"] == "admin_required"
    assert mesh.http.get("/admin/v1/users").status_code == 401


def test_admin_bad_input_names_the_field(mesh: MeshClient) -> None:
    headers = bearer(mesh.admin_token())
    cases = [
        ({"account": "x@y.test", "password": "short", "company": "X"}, "password"),
        ({"account": "x@y.test", "password": "password-1"}, "company"),
        ({"account": "not-an-account", "password": "password-1", "company": "X"}, "account"),
    ]
    for body, field in cases:
        reply = mesh.http.post("/admin/v1/users", json=body, headers=headers)
        assert reply.status_code == 400, body
        assert reply.json()["field"] == field
    duplicate = mesh.http.post(
        "/admin/v1/users",
        json={"account": ADMIN_ACCOUNT, "password": "password-1", "company": "X"},
        headers=headers,
    )
    assert duplicate.status_code == 409
    bad_kind = mesh.http.post("/admin/v1/api-keys", json={"user_id": 1, "kind": "root"}, headers=headers)
    assert bad_kind.status_code == 400 and bad_kind.json()["field"] == "kind"
    missing_user = mesh.http.post("/admin/v1/api-keys", json={"user_id": 999999, "kind": "user"}, headers=headers)
    assert missing_user.status_code == 404
    unknown_key = mesh.http.delete("/admin/v1/api-keys/nope", headers=headers)
    assert unknown_key.status_code == 404


def test_failed_logins_are_rate_limited_per_account(mesh: MeshClient) -> None:
    mesh.create_user("grace@tenant-e.test", "grace-pass-1", "Tenant E")
    body = {"user_account": "grace@tenant-e.test", "user_password": sha("wrong-password")}
    codes = [mesh.http.post("/next_console/login_by_password", json=body).status_code for _ in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    right = {"user_account": "grace@tenant-e.test", "user_password": sha("grace-pass-1")}
    limited = mesh.http.post("/next_console/login_by_password", json=right)
    assert limited.status_code == 429
    assert limited.json()["error_code"] == 429 and limited.json()["error_status"] is True
