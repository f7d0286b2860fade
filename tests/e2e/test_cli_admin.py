"""`meshconsole admin` against the mesh the real launcher started: users, keys, passwords, models, health, queues."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import orjson

from services.kit.testing.openai_upstream import ScriptedUpstream
from tests.e2e.conftest import ADMIN_ACCOUNT, ADMIN_PASSWORD, MeshClient, sha

CLI = str(Path(sys.executable).parent / "meshconsole")


def cli(mesh: MeshClient, *args: str, ok: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MESH_")}
    environment.update(
        MESH_URL=mesh.mesh.base_url, MESH_ADMIN_ACCOUNT=ADMIN_ACCOUNT, MESH_ADMIN_PASSWORD=ADMIN_PASSWORD
    )
    environment.update(env)
    done = subprocess.run([CLI, "admin", *args], env=environment, capture_output=True, text=True, timeout=120)
    assert (done.returncode == 0) == ok, done.stdout + done.stderr
    return done


def as_json(mesh: MeshClient, *args: str) -> Any:
    return orjson.loads(cli(mesh, "--json", *args).stdout)


def login(mesh: MeshClient, account: str, password: str) -> int:
    body = {"user_account": account, "user_password": sha(password)}
    return mesh.http.post("/next_console/login_by_password", json=body).status_code


def test_status_and_queues(mesh: MeshClient) -> None:
    status = as_json(mesh, "status")
    assert status["status"] == "ok" and set(status["services"].values()) == {"SERVING"}
    table = cli(mesh, "status").stdout
    assert "identity" in table and "SERVING" in table
    queues = as_json(mesh, "queues")
    streams = {s["name"]: s for s in queues["streams"]}
    assert "MESH_TASKS" in streams and isinstance(queues["dead_letters"], int)
    assert all({"pending", "in_flight", "redelivered"} <= set(c) for s in streams.values() for c in s["consumers"])
    assert "dead letters" in cli(mesh, "queues").stdout


def test_users_keys_and_passwords(mesh: MeshClient) -> None:
    account = f"cli-{uuid.uuid4().hex[:8]}@cli.test"
    created = as_json(mesh, "users", "create", account, "--company", "CLI Co", "--password", "first-pass-1")
    assert created["account"] == account and created["roles"] == ["user"]
    assert login(mesh, account, "first-pass-1") == 200
    listed = as_json(mesh, "users", "list", "--limit", "200")
    assert account in {u["user_account"] for u in listed["data"]}

    user_id = str(created["user_id"])
    key = as_json(mesh, "keys", "issue", user_id)
    assert key["key"].startswith("user-") and key["user_id"] == created["user_id"]
    headers = {"Authorization": f"Bearer {key['key']}"}
    assert mesh.http.get("/admin/v1/limits", headers=headers).status_code == 200
    assert as_json(mesh, "keys", "revoke", key["key_id"]) == {"result": "success", "key_id": key["key_id"]}
    assert mesh.http.get("/admin/v1/limits", headers=headers).status_code == 401

    reset = as_json(mesh, "users", "reset-password", user_id, "--password-sha256", sha("second-pass-2"))
    assert reset["tokens_not_before"] > 0
    assert (login(mesh, account, "first-pass-1"), login(mesh, account, "second-pass-2")) == (401, 200)
    assert as_json(mesh, "users", "disable", user_id)["status"] == "disabled"
    assert login(mesh, account, "second-pass-2") == 401
    assert as_json(mesh, "users", "enable", user_id)["status"] == "active"
    assert login(mesh, account, "second-pass-2") == 200


def test_register_a_model_and_refusals_are_one_clear_line(mesh: MeshClient) -> None:
    with ScriptedUpstream(models=("cli-llm",), api_key="cli-key") as own:
        admin = f"cli-admin-{uuid.uuid4().hex[:8]}@cli.test"
        as_json(
            mesh, "users", "create", admin, "--company", f"Models {admin}", "--password", "model-admin-1", "--admin"
        )
        token = mesh.login(admin, "model-admin-1")
        args = ("models", "register", "cli-llm", "--base-url", own.base_url, "--api-key", "cli-key", "--default")
        entry = orjson.loads(cli(mesh, "--json", "--token", token, *args).stdout)
        assert entry == {
            "model_name": "cli-llm",
            "model_type": "llm",
            "base_url": own.base_url,
            "is_default": True,
            "connect_status": entry["connect_status"],
        }
        bad = cli(
            mesh, "--token", token, "models", "register", "nope", "--base-url", "http://169.254.169.254/v1", ok=False
        )
        assert "answered 400" in bad.stderr and "base_url" in bad.stderr
    # An account that does not exist, so the shared admin's failed-login budget stays untouched.
    wrong = cli(mesh, "status", ok=False, MESH_ADMIN_ACCOUNT="ghost-cli@cli.test", MESH_ADMIN_PASSWORD="x" * 9)
    assert "Wrong account or password." in wrong.stderr and "Traceback" not in wrong.stderr


def test_reindex_shows_progress_until_the_queue_drains(mesh: MeshClient) -> None:
    account = f"cli-owner-{uuid.uuid4().hex[:8]}@cli.test"
    as_json(mesh, "users", "create", account, "--company", "Reindex Co", "--password", "owner-pass-1")
    token = mesh.login(account, "owner-pass-1")
    text = b"MeshConsole re-indexing keeps resources searchable.\n" * 20
    up = mesh.http.post(
        "/next_console/resources/upload",
        headers={"Authorization": f"Bearer {token}"},
        files={"data": ("notes.txt", text, "text/plain")},
    )
    assert up.status_code == 200, up.text
    done = cli(mesh, "--json", "reindex", up.json()["result"]["id"], "--owner-token", token)
    assert orjson.loads(done.stdout) == {"queued": 1, "drained": 1}
