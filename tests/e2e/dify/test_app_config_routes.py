"""Dify model-config versions, site settings, access tokens, and app deletion cascading through NATS."""

from __future__ import annotations

import copy
from typing import Any

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.conftest import UPSTREAM_MODEL, MeshClient
from tests.e2e.dify.apps_helpers import count, rows, stored_events, tenant, wait_until
from tests.e2e.dify.test_apps_routes import API, SITE_KEYS, create
from tests.service.test_apps_model_config import SEED_BODY


def test_model_config_saves_the_seed_body_as_a_new_version(mesh: MeshClient) -> None:
    owner = tenant(mesh, "dify-config")
    app = create(mesh, owner)
    url = f"{API}/apps/{app['id']}"
    for _ in range(2):
        reply = mesh.http.post(f"{url}/model-config", json=SEED_BODY, headers=owner.headers)
        assert reply.status_code == 200 and reply.json() == {"result": "success"}
    detail = mesh.http.get(url, headers=owner.headers).json()
    config = detail["model_config"]
    for key, value in SEED_BODY.items():
        assert config[key] == value, key
    params = config["model"]["completion_params"]
    assert params == {
        "frequency_penalty": 0,
        "max_tokens": 512,
        "presence_penalty": 0,
        "stop": [],
        "temperature": 2,
        "top_p": 1,
    }
    assert type(params["max_tokens"]) is int
    versions = rows(mesh, "apps", "SELECT version FROM model_configs WHERE app_id = ? ORDER BY version", app["id"])
    assert [v for (v,) in versions] == [1, 2, 3]
    changed = stored_events(mesh, "config_changed", app["id"])
    assert [e["config_version"] for e in changed] == [2, 3]
    assert changed[0] == {
        "app_id": app["id"],
        "user_id": owner.user_id,
        "company_id": owner.company_id,
        "config_version": 2,
    }


def test_model_config_refuses_bad_shapes_and_values_without_saving(mesh: MeshClient) -> None:
    owner = tenant(mesh, "dify-config-bad")
    app = create(mesh, owner)
    url = f"{API}/apps/{app['id']}/model-config"
    before = mesh.http.get(f"{API}/apps/{app['id']}", headers=owner.headers).json()["model_config"]

    def with_(path: str, value: Any) -> dict[str, Any]:
        body = copy.deepcopy(SEED_BODY)
        *parents, last = path.split(".")
        node = body
        for part in parents:
            node = node[part]
        node[last] = value
        return body

    probes = [
        (with_("model.completion_params.temperature", 2.5), "model.completion_params.temperature", "between 0 and 2"),
        (with_("model.completion_params.temperature", "warm"), "model.completion_params.temperature", "number"),
        (with_("model.provider", ""), "model.provider", "required"),
        (with_("model.name", None), "model.name", "required"),
        (with_("pre_prompt", 12), "pre_prompt", "string"),
        (with_("user_input_form", "none"), "user_input_form", "list"),
        (with_("agent_mode.enabled", "on"), "agent_mode.enabled", "boolean"),
        (with_("model.completion_params.max_tokens", 1.5), "model.completion_params.max_tokens", "integer"),
        (with_("file_upload.image.detail", "ultra"), "file_upload.image.detail", "high or low"),
    ]
    for body, field, words in probes:
        reply = mesh.http.post(url, json=body, headers=owner.headers)
        assert reply.status_code == 400, (field, reply.text)
        error = reply.json()
        assert (error["code"], error["status"], error["params"]) == ("invalid_param", 400, field)
        assert words in error["message"]
    as_list = mesh.http.post(url, json=[SEED_BODY], headers=owner.headers)
    assert as_list.status_code == 400 and as_list.json()["code"] == "invalid_param"
    broken = mesh.http.post(url, content=b"{not json", headers={**owner.headers, "content-type": "application/json"})
    assert broken.status_code == 400
    after = mesh.http.get(f"{API}/apps/{app['id']}", headers=owner.headers).json()["model_config"]
    assert after == before
    assert count(mesh, "apps", "model_configs", "app_id", app["id"]) == 1


def test_site_update_and_access_token_reset(mesh: MeshClient) -> None:
    owner = tenant(mesh, "dify-site")
    app = create(mesh, owner)
    url = f"{API}/apps/{app['id']}/site"
    body = {"title": "Ashias-23", "icon": "grin", "icon_background": "#000000", "description": "How do you do~"}
    reply = mesh.http.post(url, json=body, headers=owner.headers)
    assert reply.status_code == 200, reply.text
    site = reply.json()
    assert set(site) == SITE_KEYS
    assert {k: site[k] for k in body} == body
    assert site["access_token"] == app["site"]["access_token"]
    reset = mesh.http.post(f"{url}/access-token-reset", headers=owner.headers)
    assert reset.status_code == 200
    fresh = reset.json()
    assert fresh["access_token"] != site["access_token"] and len(fresh["access_token"]) == 16
    assert fresh["access_token"] == fresh["code"] and fresh["title"] == "Ashias-23"
    detail = mesh.http.get(f"{API}/apps/{app['id']}", headers=owner.headers).json()
    assert detail["site"]["access_token"] == fresh["access_token"] and detail["site"]["title"] == "Ashias-23"
    assert detail["name"] == app["name"]  # the site title is not the app name
    bad = mesh.http.post(url, json={"title": ""}, headers=owner.headers)
    assert bad.status_code == 400 and bad.json()["params"] == "title"
    bad = mesh.http.post(url, json={"customize_token_strategy": "always"}, headers=owner.headers)
    assert bad.status_code == 400 and bad.json()["params"] == "customize_token_strategy"
    bad = mesh.http.post(url, json={"prompt_public": "yes"}, headers=owner.headers)
    assert bad.status_code == 400 and bad.json()["params"] == "prompt_public"
    assert mesh.http.get(f"{API}/apps/{app['id']}", headers=owner.headers).json()["site"] == detail["site"]


def test_deleting_an_app_cascades_to_its_rows_and_conversations(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    owner = tenant(mesh, "dify-delete")
    keep = create(mesh, owner, name="Keep")
    app = create(mesh, owner, name="Doomed")
    config = {**SEED_BODY, "model": {**SEED_BODY["model"], "name": UPSTREAM_MODEL, "completion_params": {}}}
    assert mesh.http.post(f"{API}/apps/{app['id']}/model-config", json=config, headers=owner.headers).status_code == 200
    scripted.push(Script(chunks=["Hello"]))
    chat = mesh.http.post(
        f"{API}/apps/{app['id']}/chat-messages",
        json={"query": "hi", "response_mode": "blocking"},
        headers=owner.headers,
    )
    assert chat.status_code == 200, chat.text
    assert count(mesh, "chat", "conversations", "app_id", app["id"]) == 1
    assert count(mesh, "apps", "model_configs", "app_id", app["id"]) == 2

    deleted = mesh.http.delete(f"{API}/apps/{app['id']}", headers=owner.headers)
    assert deleted.status_code == 204 and deleted.content == b""
    gone = mesh.http.get(f"{API}/apps/{app['id']}", headers=owner.headers)
    assert gone.status_code == 404 and gone.json()["code"] == "app_not_found"
    assert mesh.http.delete(f"{API}/apps/{app['id']}", headers=owner.headers).status_code == 404
    for table, column in (
        ("apps", "id"),
        ("model_configs", "app_id"),
        ("sites", "app_id"),
        ("chat_sessions", "app_id"),
    ):
        assert count(mesh, "apps", table, column, app["id"]) == 0, table
    [event] = stored_events(mesh, "deleted", app["id"])
    assert event == {
        "app_id": app["id"],
        "user_id": owner.user_id,
        "company_id": owner.company_id,
        "kind": 1,
        "session_ids": [],
    }
    assert wait_until(lambda: count(mesh, "chat", "conversations", "app_id", app["id"]) == 0)
    assert count(mesh, "chat", "messages", "app_id", app["id"]) == 0
    listed = mesh.http.get(f"{API}/apps", headers=owner.headers).json()
    assert [a["id"] for a in listed["data"]] == [keep["id"]]
    assert count(mesh, "apps", "model_configs", "app_id", keep["id"]) == 1
