"""Supervision: a killed service comes back while the rest serves, and its interrupted answer is recovered."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.chat.helpers import bearer, create_app, new_tenant
from tests.e2e.conftest import MeshClient, start_mesh
from tests.e2e.process_helpers import wait_until


@pytest.fixture(scope="module")
def supervised(tmp_path_factory: pytest.TempPathFactory, upstream: ScriptedUpstream) -> Iterator[MeshClient]:
    """A mesh of its own: these tests kill its services."""
    # Frequent checkpoints, so a chat killed a second into an answer has saved part of it.
    running = start_mesh(tmp_path_factory.mktemp("supervised"), upstream, settings={"MESH_CHAT_CHECKPOINT_S": "0.3"})
    try:
        with httpx.Client(base_url=running.base_url, timeout=30.0) as http:
            yield MeshClient(mesh=running, http=http)
    finally:
        running.stop()


def _status(mesh: MeshClient, admin: dict[str, str]) -> dict[str, Any]:
    reply = mesh.http.get("/admin/v1/status", headers=admin)
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def _events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    for line in response.iter_lines():
        if line.startswith("data: "):
            yield orjson.loads(line[6:])


def _message_row(mesh: MeshClient, message_id: str) -> tuple[str, str, str]:
    path = mesh.mesh.data_dir / "chat.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as conn:
        row = conn.execute("SELECT status, error, answer FROM messages WHERE id = ?", (message_id,)).fetchone()
    assert row is not None, f"message {message_id} was never stored"
    return str(row[0]), str(row[1]), str(row[2])


def test_a_killed_chat_restarts_while_the_rest_serves_and_its_interrupted_answer_is_recovered(
    supervised: MeshClient, scripted: ScriptedUpstream, capsys: pytest.CaptureFixture[str]
) -> None:
    mesh = supervised
    admin = bearer(mesh.admin_token())
    token = new_tenant(mesh, "supervised")
    app_id = create_app(mesh, token)
    assert _status(mesh, admin) == {
        "status": "ok",
        "services": dict.fromkeys(("identity", "apps", "chat", "retrieval", "files", "voice", "meetings"), "SERVING"),
        "dependencies": {"redis": "ok", "nats": "ok"},
    }
    scripted.push(Script(chunks=["word "] * 400, delay_s=0.05))
    url = f"/console/api/apps/{app_id}/chat-messages"
    killed = mesh.mesh.processes["chat"]
    events: list[dict[str, Any]] = []
    with mesh.http.stream("POST", url, json={"query": "go on"}, headers=bearer(token)) as response:
        assert response.status_code == 200
        for event in _events(response):
            events.append(event)
            if len(events) == 30:  # 1.5 s of answer: several checkpoints were written
                killed.kill()
    # The stream in flight ends with Dify's error frame.
    assert [e["event"] for e in events[:30]] == ["message"] * 30
    assert events[-1]["event"] == "error", events[-1]
    assert (events[-1]["status"], events[-1]["code"]) == (503, "service_unavailable")
    streamed = "".join(e.get("answer", "") for e in events if e["event"] == "message")

    degraded = wait_until(
        lambda: (s := _status(mesh, admin))["services"]["chat"] != "SERVING" and s,
        timeout_s=10,
        what="the status page to show chat down",
    )
    assert degraded["status"] == "degraded" and degraded["services"]["chat"] == "UNREACHABLE"
    assert {name for name, state in degraded["services"].items() if state != "SERVING"} == {"chat"}
    # The gateway can still serve: readiness is about its own dependencies, and other services answer.
    assert mesh.http.get("/readyz").json() == {
        "status": "ok",
        "checks": {"redis": "ok", "nats": "ok", "revocations": "ok"},
    }
    assert mesh.http.get("/console/api/apps", headers=bearer(token)).status_code == 200
    new_tenant(mesh, "while-chat-is-down")

    wait_until(lambda: _status(mesh, admin)["status"] == "ok", timeout_s=60, what="chat to serve again")
    assert mesh.mesh.processes["chat"].pid != killed.pid
    assert "chat exited (killed by SIGKILL); restarting in" in capsys.readouterr().err

    status, error, answer = _message_row(mesh, events[0]["message_id"])
    assert status == "error" and error.startswith("interrupted")
    # The partial answer the client saw is kept, up to the last checkpoint before the kill.
    assert answer and streamed.startswith(answer), (answer, streamed)
    assert len(answer) >= len("word ") * 10

    scripted.push(Script(chunks=["back"]))
    again = mesh.http.post(url, json={"query": "still there?", "response_mode": "blocking"}, headers=bearer(token))
    assert again.status_code == 200 and again.json()["answer"] == "back"


def test_the_status_page_is_for_admins_only(supervised: MeshClient) -> None:
    mesh = supervised
    assert mesh.http.get("/admin/v1/status").status_code == 401
    user = new_tenant(mesh, "not-an-admin")
    assert mesh.http.get("/admin/v1/status", headers=bearer(user)).status_code == 403


def test_routes_of_a_down_service_answer_503_with_retry_after_in_their_dialect(supervised: MeshClient) -> None:
    """While the supervisor restarts a killed service, its routes say 503 + Retry-After; then it serves again."""
    mesh = supervised
    admin = bearer(mesh.admin_token())
    token = new_tenant(mesh, "files-down")
    files = mesh.mesh.processes["files"]
    files.kill()
    files.wait()
    # Answered before the restarted files service can be up again (its backoff and boot take seconds).
    limits = mesh.http.get("/admin/v1/limits", headers=admin)
    cloud = mesh.http.get("/ai-api/v1/cloudSpace/list", headers=bearer(token))
    wait_until(lambda: _status(mesh, admin)["status"] == "ok", timeout_s=60, what="files to serve again")

    assert limits.status_code == 503 and limits.json()["reason"] == "service_unavailable"
    assert cloud.status_code == 503
    assert cloud.json()["errorCode"] == 503 and cloud.json()["success"] is False
    for reply in (limits, cloud):
        assert reply.headers.get("retry-after", "").isdigit(), dict(reply.headers)
        # No internal address reaches the client.
        assert "127.0.0.1" not in reply.text, reply.text
