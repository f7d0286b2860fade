"""Nexent /api/model/* and /api/me/* end to end: the seed's shapes, masking, live checks, tenancy, bad input.

Model writes and verify_config are for company admins, so the users who make them here are admins; the
ordinary user's side is in tests/e2e/test_security_model_registry.py.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from services.kit.testing.openai_upstream import ScriptedUpstream
from tests.e2e.conftest import UPSTREAM_KEY, UPSTREAM_MODEL, MeshClient
from tests.e2e.dify.apps_helpers import Tenant, rows, tenant

OWN_KEY = "sk-own-endpoint-key-0123456789"
ADMIN = ("admin",)
MASKED_OWN_KEY = "sk-o******6789"


@pytest.fixture(scope="module")
def own_upstream() -> Iterator[ScriptedUpstream]:
    """A company's own OpenAI-compatible endpoint (not the mesh's default provider)."""
    with ScriptedUpstream(models=("own-llm", "own-rerank"), api_key=OWN_KEY) as server:
        yield server


def ok(reply: Any, message: str) -> Any:
    """The data of a `{"code": 200, "message", "data"}` answer, after checking the envelope exactly."""
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert set(body) == {"code", "message", "data"} and (body["code"], body["message"]) == (200, message), body
    return body["data"]


def detail(reply: Any, status: int) -> str:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == {"detail"}, body
    return str(body["detail"])


def create(mesh: MeshClient, who: Tenant, name: str, upstream: ScriptedUpstream, **fields: Any) -> Any:
    body = {"model_name": name, "model_type": "llm", "base_url": upstream.base_url, "api_key": OWN_KEY, **fields}
    return mesh.http.post("/api/model/create", json=body, headers=who.headers)


def listed(mesh: MeshClient, who: Tenant) -> dict[str, dict[str, Any]]:
    data = ok(mesh.http.get("/api/model/list", headers=who.headers), "Successfully retrieved model list")
    return {m["model_name"]: m for m in data}


def test_model_crud_follows_the_seed(mesh: MeshClient, own_upstream: ScriptedUpstream) -> None:
    alice = tenant(mesh, "models-crud", roles=ADMIN)
    reply = create(mesh, alice, "own-llm", own_upstream, display_name="Own LLM", max_tokens=8192, connect_status="")
    assert ok(reply, "Model created successfully") is None
    assert OWN_KEY not in reply.text

    models = listed(mesh, alice)
    own = models["own-llm"]
    assert len(own["model_id"]) == 32 and own["create_time"] and own["update_time"]
    assert {k: v for k, v in own.items() if k not in ("model_id", "create_time", "update_time")} == {
        "model_name": "own-llm",
        "model_repo": "",
        "display_name": "Own LLM",
        "model_type": "llm",
        "provider": "openai_api_compatible",
        "base_url": own_upstream.base_url,
        "api_key": MASKED_OWN_KEY,
        "max_tokens": 8192,
        "embedding_dim": 0,
        "connect_status": "not_detected",
        "is_default": False,
        "is_platform": False,
    }
    platform = models[UPSTREAM_MODEL]
    assert platform["is_platform"] and platform["api_key"] == "********"
    assert list(models) == [UPSTREAM_MODEL, "own-llm"]

    stored = rows(mesh, "chat", "SELECT api_key_encrypted FROM model_entries WHERE id = ?", own["model_id"])
    assert stored and OWN_KEY not in stored[0][0] and len(stored[0][0]) > 40

    update = {
        "model_name": "own-llm",
        "display_name": "Renamed",
        "connect_status": "available",
        "api_key": own["api_key"],
    }
    reply = mesh.http.post("/api/model/update", json=update, headers=alice.headers)
    assert ok(reply, "Model updated successfully") == {"model_name": "own-llm"}
    after = listed(mesh, alice)["own-llm"]
    assert (after["display_name"], after["connect_status"], after["api_key"]) == (
        "Renamed",
        "available",
        MASKED_OWN_KEY,
    )

    status = mesh.http.get("/api/model/get_connect_status", params={"model_name": "own-llm"}, headers=alice.headers)
    assert ok(status, "Successfully retrieved connection status") == {
        "model_name": "own-llm",
        "connect_status": "available",
    }
    as_body = mesh.http.request(
        "GET", "/api/model/get_connect_status", json={"model_name": "own-llm"}, headers=alice.headers
    )
    assert ok(as_body, "Successfully retrieved connection status")["connect_status"] == "available"
    body = {"model_name": "own-llm", "connect_status": "unavailable"}
    changed = mesh.http.post("/api/model/update_connect_status", json=body, headers=alice.headers)
    assert ok(changed, "Successfully updated connection status") == body
    assert listed(mesh, alice)["own-llm"]["connect_status"] == "unavailable"

    deleted = mesh.http.post("/api/model/delete", json={"model_name": "own-llm"}, headers=alice.headers)
    assert ok(deleted, "Model deleted successfully") == {"model_name": "own-llm"}
    assert list(listed(mesh, alice)) == [UPSTREAM_MODEL]
    again = mesh.http.post("/api/model/delete", json={"model_name": "own-llm"}, headers=alice.headers)
    assert "own-llm" in detail(again, 404)


def test_bad_input_is_a_clear_4xx_naming_the_field(mesh: MeshClient, own_upstream: ScriptedUpstream) -> None:
    alice = tenant(mesh, "models-bad", roles=ADMIN)
    cases = [
        ({"model_name": ""}, 400, "model_name"),
        ({"model_name": "   "}, 400, "model_name"),
        ({"model_type": "chatbot"}, 400, "model_type"),
        ({"base_url": "ftp://models.example.com/v1"}, 400, "base_url"),
        ({"base_url": "javascript:alert(1)"}, 400, "base_url"),
        ({"max_tokens": -3}, 400, "max_tokens"),
        ({"embedding_dim": "wide"}, 400, "embedding_dim"),
        ({"connect_status": "sleepy"}, 400, "connect_status"),
    ]
    for fields, status, field in cases:
        message = detail(create(mesh, alice, "bad-model", own_upstream, **fields), status)
        assert field in message, (fields, message)
    missing = mesh.http.post("/api/model/create", json={"display_name": "x"}, headers=alice.headers)
    assert "model_name" in detail(missing, 400)
    assert list(listed(mesh, alice)) == [UPSTREAM_MODEL]

    ok(create(mesh, alice, "twice", own_upstream), "Model created successfully")
    conflict = detail(create(mesh, alice, "twice", own_upstream), 409)
    assert "twice" in conflict and "already exists" in conflict
    no_status = mesh.http.post("/api/model/update_connect_status", json={"model_name": "twice"}, headers=alice.headers)
    assert "connect_status" in detail(no_status, 400)
    no_name = mesh.http.get("/api/model/get_connect_status", headers=alice.headers)
    assert "model_name" in detail(no_name, 400)
    assert "detail" in mesh.http.get("/api/model/list").json()
    assert mesh.http.get("/api/model/list").status_code == 401


def test_companies_see_only_their_models_and_the_platform_default(
    mesh: MeshClient, own_upstream: ScriptedUpstream
) -> None:
    alice = tenant(mesh, "models-alice", roles=ADMIN)
    colleague = tenant(mesh, "models-colleague", company=alice.company)
    mallory = tenant(mesh, "models-mallory", roles=ADMIN)
    ok(create(mesh, alice, "team-llm", own_upstream), "Model created successfully")
    assert "team-llm" in listed(mesh, colleague)
    assert list(listed(mesh, mallory)) == [UPSTREAM_MODEL]

    name = {"model_name": "team-llm"}
    for reply in (
        mesh.http.get("/api/model/get_connect_status", params=name, headers=mallory.headers),
        mesh.http.get("/api/model/healthcheck", params=name, headers=mallory.headers),
        mesh.http.post("/api/model/update", json={**name, "display_name": "x"}, headers=mallory.headers),
        mesh.http.post(
            "/api/model/update_connect_status", json={**name, "connect_status": "available"}, headers=mallory.headers
        ),
        mesh.http.post("/api/model/delete", json=name, headers=mallory.headers),
    ):
        assert "team-llm" in detail(reply, 404)
    assert listed(mesh, alice)["team-llm"]["display_name"] == "team-llm"
    ok(create(mesh, mallory, "team-llm", own_upstream, display_name="Mallory's"), "Model created successfully")
    assert listed(mesh, colleague)["team-llm"]["display_name"] == "team-llm"

    for reply in (
        mesh.http.post("/api/model/delete", json={"model_name": UPSTREAM_MODEL}, headers=alice.headers),
        mesh.http.post(
            "/api/model/update", json={"model_name": UPSTREAM_MODEL, "base_url": "http://x/v1"}, headers=alice.headers
        ),
        mesh.http.post(
            "/api/model/update_connect_status",
            json={"model_name": UPSTREAM_MODEL, "connect_status": "unavailable"},
            headers=alice.headers,
        ),
    ):
        assert "platform" in detail(reply, 403)
    assert UPSTREAM_MODEL in listed(mesh, mallory)


def test_healthcheck_records_the_status(
    mesh: MeshClient, own_upstream: ScriptedUpstream, scripted: ScriptedUpstream
) -> None:
    alice = tenant(mesh, "models-health", roles=ADMIN)
    ok(create(mesh, alice, "own-llm", own_upstream), "Model created successfully")
    ok(create(mesh, alice, "bad-key", own_upstream, api_key="sk-wrong-wrong-wrong"), "Model created successfully")
    good = mesh.http.get("/api/model/healthcheck", params={"model_name": "own-llm"}, headers=alice.headers)
    assert ok(good, "Model health check successful") == {
        "status": "Connected",
        "desc": "Connection successful",
        "connect_status": "available",
    }
    assert own_upstream.chat_requests()[-1].body == {
        "model": "own-llm",
        "messages": [{"role": "user", "content": "ping"}],
        "max_tokens": 1,
    }
    bad = mesh.http.get("/api/model/healthcheck", params={"model_name": "bad-key"}, headers=alice.headers)
    assert ok(bad, "Model health check failed") == {
        "status": "Disconnected",
        "desc": "the endpoint answered HTTP 401",
        "connect_status": "unavailable",
    }
    models = listed(mesh, alice)
    assert (models["own-llm"]["connect_status"], models["bad-key"]["connect_status"]) == ("available", "unavailable")
    platform = mesh.http.get("/api/model/healthcheck", params={"model_name": UPSTREAM_MODEL}, headers=alice.headers)
    assert ok(platform, "Model health check successful")["connect_status"] == "available"
    assert scripted.chat_requests()[-1].headers["authorization"] == f"Bearer {UPSTREAM_KEY}"
    status = mesh.http.get(
        "/api/model/get_connect_status", params={"model_name": UPSTREAM_MODEL}, headers=alice.headers
    )
    assert ok(status, "Successfully retrieved connection status")["connect_status"] == "available"


def test_verify_config_is_a_real_check_that_saves_nothing(mesh: MeshClient, own_upstream: ScriptedUpstream) -> None:
    alice = tenant(mesh, "models-verify", roles=ADMIN)

    def verify(**fields: Any) -> Any:
        body = {
            "model_name": "own-llm",
            "model_type": "llm",
            "base_url": own_upstream.base_url,
            "api_key": OWN_KEY,
            "max_tokens": 4096,
            "embedding_dim": 0,
            **fields,
        }
        return mesh.http.post("/api/model/verify_config", json=body, headers=alice.headers)

    before = len(own_upstream.chat_requests())
    assert ok(verify(), "模型配置连通性验证成功") == {
        "connectivity": True,
        "message": "Connection successful",
        "connect_status": "available",
    }
    assert len(own_upstream.chat_requests()) == before + 1
    wrong = ok(verify(api_key="sk-definitely-wrong-1"), "模型配置连通性验证失败")
    assert wrong == {
        "connectivity": False,
        "message": "the endpoint answered HTTP 401",
        "connect_status": "unavailable",
    }
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        started = time.monotonic()
        silent = ok(
            verify(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}/v1", timeout=2), "模型配置连通性验证失败"
        )
        assert time.monotonic() - started < 8
    assert silent == {
        "connectivity": False,
        "message": "the endpoint did not answer within 2s",
        "connect_status": "unavailable",
    }
    rerank = ok(verify(model_name="own-rerank", model_type="rerank"), "模型配置连通性验证成功")
    assert rerank["connectivity"] is True
    assert "base_url" in detail(verify(base_url="file:///etc/passwd"), 400)
    assert "model_type" in detail(verify(model_type="sorcery"), 400)
    assert list(listed(mesh, alice)) == [UPSTREAM_MODEL]


def test_me_routes_describe_the_default_upstream(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    alice = tenant(mesh, "models-me")
    models = ok(mesh.http.get("/api/me/model/list", headers=alice.headers), "Successfully retrieved")
    assert models == [
        {"id": UPSTREAM_MODEL, "name": UPSTREAM_MODEL, "type": "llm", "description": "owned by mesh-test"},
        {"id": "mesh-e2e-other", "name": "mesh-e2e-other", "type": "llm", "description": "owned by mesh-test"},
    ]
    filtered = mesh.http.get("/api/me/model/list", params={"type": "embedding", "timeout": 3}, headers=alice.headers)
    assert ok(filtered, "Successfully retrieved") == []
    health = mesh.http.get("/api/me/healthcheck", params={"timeout": 2}, headers=alice.headers)
    assert ok(health, "Connection successful") == {
        "status": "Connected",
        "desc": "Connection successful",
        "connect_status": "AVAILABLE",
    }
    model = mesh.http.get("/api/me/model/healthcheck", params={"model_name": "mesh-e2e-other"}, headers=alice.headers)
    assert ok(model, "Model health check successful") == {
        "status": "Connected",
        "desc": "Connection successful",
        "connect_status": "AVAILABLE",
    }
    assert scripted.chat_requests()[-1].body["model"] == "mesh-e2e-other"
    missing = mesh.http.get("/api/me/model/healthcheck", params={"model_name": "ghost"}, headers=alice.headers)
    assert ok(missing, "Model health check failed") == {
        "status": "Disconnected",
        "desc": "model 'ghost' is not served by the default upstream",
        "connect_status": "UNAVAILABLE",
    }
    assert "timeout" in detail(mesh.http.get("/api/me/healthcheck", params={"timeout": 0}, headers=alice.headers), 400)
    assert mesh.http.get("/api/me/healthcheck").status_code == 401
