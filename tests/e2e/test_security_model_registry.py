"""The model registry under attack, through the real launcher: who may change it, and where its URLs may lead.

The mesh here has no MESH_MODEL_ENDPOINT_NETWORKS, as in production: the only exception to the outbound
policy is the origin of OPENAI_BASE_URL (the scripted upstream), and the image proxy gets none at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.chat.helpers import sse_events
from tests.e2e.conftest import UPSTREAM_KEY, UPSTREAM_MODEL, MeshClient, start_mesh
from tests.e2e.dify.apps_helpers import Tenant, tenant
from tests.e2e.process_helpers import wait_until

ADMIN = ("admin",)


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory, upstream: ScriptedUpstream) -> Iterator[MeshClient]:
    """A mesh of its own, with the production outbound policy for model endpoints."""
    running = start_mesh(tmp_path_factory.mktemp("strict"), upstream)
    try:
        with httpx.Client(base_url=running.base_url, timeout=30.0) as http:
            client = MeshClient(mesh=running, http=http)
            # Right after start the gateway may still be loading its revocation list (it answers 503 until then).
            token = {"Authorization": f"Bearer {client.admin_token()}"}
            wait_until(
                lambda: http.get("/api/model/list", headers=token).status_code == 200,
                timeout_s=30,
                what="the gateway to accept tokens",
            )
            yield client
    finally:
        running.stop()


@pytest.fixture(scope="module")
def attacker() -> Iterator[ScriptedUpstream]:
    """Where an ordinary user would like the company's chats to go."""
    with ScriptedUpstream(models=("takeover",)) as server:
        yield server


def company_model(name: str, upstream: ScriptedUpstream, **fields: Any) -> dict[str, Any]:
    return {"model_name": name, "model_type": "llm", "base_url": upstream.base_url, "api_key": UPSTREAM_KEY, **fields}


def models(mesh: MeshClient, who: Tenant) -> dict[str, tuple[str, bool]]:
    reply = mesh.http.get("/api/model/list", headers=who.headers)
    assert reply.status_code == 200, reply.text
    return {m["model_name"]: (m["base_url"], m["is_default"]) for m in reply.json()["data"]}


def refused(reply: httpx.Response, status: int, *words: str) -> None:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == {"detail"}, body
    assert all(word in body["detail"] for word in words), body


def chat_model(mesh: MeshClient, who: Tenant, scripted: ScriptedUpstream) -> str:
    """The model a Nexent agent run of this user reached at the upstream."""
    scripted.push(Script(chunks=["fine"]))
    with mesh.http.stream("POST", "/api/agent/run", json={"query": "hi"}, headers=who.headers) as response:
        assert response.status_code == 200
        frames = [e for e in sse_events(response) if isinstance(e, dict)]
    assert "".join(f["content"] for f in frames if f["type"] == "final_answer") == "fine"
    return str(scripted.chat_requests()[-1].body["model"])


def test_an_ordinary_user_cannot_take_over_a_colleagues_model(
    strict: MeshClient, scripted: ScriptedUpstream, attacker: ScriptedUpstream
) -> None:
    admin = tenant(strict, "sec-admin", roles=ADMIN)
    mallory = tenant(strict, "sec-mallory", company=admin.company)
    bob = tenant(strict, "sec-bob", company=admin.company)
    created = strict.http.post(
        "/api/model/create", json=company_model("company-llm", scripted, is_default=True), headers=admin.headers
    )
    assert created.status_code == 200, created.text
    assert chat_model(strict, bob, scripted) == "company-llm"
    before = models(strict, bob)

    # Even at the one address the policy allows, an ordinary user's write is refused for their role.
    takeover = {**company_model("takeover", scripted), "base_url": scripted.base_url, "is_default": True}
    attempts = [
        ("/api/model/create", takeover),
        ("/api/model/create", company_model("company-wide", scripted)),
        ("/api/model/create", {**company_model("elsewhere", scripted), "base_url": attacker.base_url}),
        ("/api/model/update", {"model_name": "company-llm", "base_url": attacker.base_url}),
        ("/api/model/update", {"model_name": "company-llm", "model_repo": "takeover"}),
        ("/api/model/update", {"model_name": "company-llm", "is_default": False}),
        ("/api/model/update_connect_status", {"model_name": "company-llm", "connect_status": "unavailable"}),
        ("/api/model/delete", {"model_name": "company-llm"}),
        ("/api/model/verify_config", {**company_model("takeover", scripted), "base_url": attacker.base_url}),
    ]
    for path, body in attempts:
        refused(strict.http.post(path, json=body, headers=mallory.headers), 403, "admin")
    assert models(strict, bob) == before
    assert chat_model(strict, bob, scripted) == "company-llm"
    assert attacker.requests == []


def test_an_admin_manages_the_company_models(strict: MeshClient, scripted: ScriptedUpstream) -> None:
    admin = tenant(strict, "sec-admin2", roles=ADMIN)
    bob = tenant(strict, "sec-bob2", company=admin.company)
    for name, default in (("first-llm", False), ("second-llm", True)):
        reply = strict.http.post(
            "/api/model/create", json=company_model(name, scripted, is_default=default), headers=admin.headers
        )
        assert reply.status_code == 200, reply.text
    assert chat_model(strict, bob, scripted) == "second-llm"
    update = {"model_name": "first-llm", "is_default": True}
    assert strict.http.post("/api/model/update", json=update, headers=admin.headers).status_code == 200
    assert chat_model(strict, bob, scripted) == "first-llm"
    deleted = strict.http.post("/api/model/delete", json={"model_name": "first-llm"}, headers=admin.headers)
    assert deleted.status_code == 200
    assert models(strict, bob) == {
        UPSTREAM_MODEL: (scripted.base_url, True),
        "second-llm": (scripted.base_url, False),
    }


@pytest.mark.parametrize(
    "base_url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://127.0.0.1:{gateway}/v1",
        "http://localhost:{upstream}/v1",
        "http://[::1]:{upstream}/v1",
        "http://[::ffff:127.0.0.1]:{upstream}/v1",
        "http://2130706433:{upstream}/v1",
        "http://10.0.0.7:8000/v1",
        "http://127.0.0.1:99999/v1",
    ],
)
def test_metadata_and_loopback_base_urls_are_refused(
    strict: MeshClient, scripted: ScriptedUpstream, attacker: ScriptedUpstream, base_url: str
) -> None:
    admin = tenant(strict, "sec-urls", roles=ADMIN)
    created = strict.http.post("/api/model/create", json=company_model("company-llm", scripted), headers=admin.headers)
    assert created.status_code == 200, created.text
    before = models(strict, admin)
    gateway = httpx.URL(strict.mesh.base_url).port
    url = base_url.format(gateway=gateway, upstream=scripted.port)
    body = {**company_model("inside", scripted), "base_url": url}
    refused(strict.http.post("/api/model/create", json=body, headers=admin.headers), 400, "base_url")
    refused(strict.http.post("/api/model/verify_config", json=body, headers=admin.headers), 400, "base_url")
    update = {"model_name": "company-llm", "base_url": url}
    refused(strict.http.post("/api/model/update", json=update, headers=admin.headers), 400, "base_url")
    assert models(strict, admin) == before
    assert scripted.chat_requests() == []


def test_the_configured_upstream_stays_usable_and_checks_answer_only_a_status(
    strict: MeshClient, scripted: ScriptedUpstream, attacker: ScriptedUpstream
) -> None:
    admin = tenant(strict, "sec-origin", roles=ADMIN)
    verify = company_model("mesh-e2e-other", scripted)
    reply = strict.http.post("/api/model/verify_config", json=verify, headers=admin.headers)
    assert reply.status_code == 200 and reply.json()["data"]["connectivity"] is True, reply.text
    wrong = strict.http.post(
        "/api/model/verify_config", json={**verify, "api_key": "sk-wrong-wrong-1"}, headers=admin.headers
    )
    assert wrong.json()["data"] == {
        "connectivity": False,
        "message": "the endpoint answered HTTP 401",
        "connect_status": "unavailable",
    }
    # A loopback endpoint other than the configured origin is refused as a policy matter, not probed.
    other = {**verify, "base_url": attacker.base_url}
    refused(strict.http.post("/api/model/verify_config", json=other, headers=admin.headers), 400, "base_url")
    assert attacker.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{gateway}/healthz",
        "{upstream}/models",  # the model upstream's origin is an exception for model endpoints only
        "http://[::1]:{gateway}/healthz",
        "http://169.254.169.254/latest/meta-data/",
        "http://example.com:99999/a.png",
        "http://example.com:0/a.png",
    ],
)
def test_the_image_proxy_refuses_inside_addresses_and_bad_ports(
    strict: MeshClient, scripted: ScriptedUpstream, url: str
) -> None:
    alice = tenant(strict, "sec-proxy")
    target = url.format(gateway=httpx.URL(strict.mesh.base_url).port, upstream=scripted.base_url)
    reply = strict.http.get("/api/proxy/image", params={"url": target}, headers=alice.headers)
    refused(reply, 400, "url")
