"""Dify console app management end to end: shapes, paging, copy, one-attribute updates, tenancy, bad input."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.conftest import MeshClient
from tests.e2e.dify.apps_helpers import Tenant, tenant

API = "/console/api"
SEED_CREATE = {
    "name": "TEST",
    "icon": "🤖",
    "icon_background": "#FFEAD5",
    "mode": "agent-chat",
    "description": "JUST A TEST",
}
DETAIL_KEYS = {
    "id",
    "name",
    "description",
    "mode",
    "icon_type",
    "icon",
    "icon_background",
    "icon_url",
    "enable_site",
    "enable_api",
    "api_rpm",
    "api_rph",
    "is_demo",
    "model_config",
    "workflow",
    "site",
    "use_icon_as_answer_icon",
    "created_at",
    "updated_at",
}
SITE_KEYS = {
    "app_id",
    "access_token",
    "code",
    "title",
    "icon_type",
    "icon",
    "icon_background",
    "icon_url",
    "description",
    "default_language",
    "chat_color_theme",
    "chat_color_theme_inverted",
    "customize_domain",
    "copyright",
    "privacy_policy",
    "custom_disclaimer",
    "customize_token_strategy",
    "prompt_public",
    "app_base_url",
    "show_workflow_steps",
    "use_icon_as_answer_icon",
    "created_at",
    "updated_at",
}
MODEL_CONFIG_KEYS = {
    "pre_prompt",
    "prompt_type",
    "chat_prompt_config",
    "completion_prompt_config",
    "user_input_form",
    "dataset_query_variable",
    "opening_statement",
    "suggested_questions",
    "suggested_questions_after_answer",
    "speech_to_text",
    "text_to_speech",
    "retriever_resource",
    "annotation_reply",
    "more_like_this",
    "sensitive_word_avoidance",
    "external_data_tools",
    "model",
    "agent_mode",
    "dataset_configs",
    "file_upload",
    "created_at",
    "updated_at",
}


def create(mesh: MeshClient, owner: Tenant, **fields: Any) -> dict[str, Any]:
    reply = mesh.http.post(f"{API}/apps", json={**SEED_CREATE, **fields}, headers=owner.headers)
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def not_found(reply: Any) -> None:
    assert reply.status_code == 404, reply.text
    assert reply.json() == {"code": "app_not_found", "message": "app not found", "status": 404}


def test_create_returns_dify_app_detail(mesh: MeshClient) -> None:
    owner = tenant(mesh, "dify-create")
    app = create(mesh, owner)
    assert set(app) == DETAIL_KEYS
    uuid.UUID(app["id"])
    assert (app["name"], app["mode"], app["icon"], app["icon_background"], app["description"]) == (
        "TEST",
        "agent-chat",
        "🤖",
        "#FFEAD5",
        "JUST A TEST",
    )
    assert app["enable_site"] is True and app["enable_api"] is True and app["icon_type"] == "emoji"
    assert isinstance(app["created_at"], int) and app["created_at"] == app["updated_at"]
    assert set(app["model_config"]) == MODEL_CONFIG_KEYS
    assert app["model_config"]["agent_mode"]["enabled"] is True
    assert app["model_config"]["model"]["provider"] and app["model_config"]["model"]["name"]
    site = app["site"]
    assert set(site) == SITE_KEYS
    assert site["access_token"] == site["code"] and len(site["access_token"]) == 16
    assert site["app_base_url"] == mesh.mesh.base_url and site["app_id"] == app["id"]
    assert (site["title"], site["icon"], site["description"]) == ("TEST", "🤖", "JUST A TEST")
    got = mesh.http.get(f"{API}/apps/{app['id']}", headers=owner.headers)
    assert got.status_code == 200 and got.json() == app


@pytest.mark.parametrize("mode", ["chat", "completion", "agent-chat", "advanced-chat", "workflow"])
def test_every_dify_mode_is_accepted(mesh: MeshClient, mode: str) -> None:
    owner = tenant(mesh, "dify-modes")
    assert create(mesh, owner, mode=mode)["mode"] == mode


def test_list_pages_and_filters_by_name(mesh: MeshClient) -> None:
    owner = tenant(mesh, "dify-list")
    made = [create(mesh, owner, name=name) for name in ("Ashia one", "Beta", "ashia two", "ASHIA three")]
    first = mesh.http.get(f"{API}/apps", params={"page": 1, "limit": 2, "name": "ashia"}, headers=owner.headers)
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"data", "has_more", "limit", "total", "page"}
    assert (body["page"], body["limit"], body["total"], body["has_more"]) == (1, 2, 3, True)
    assert [a["name"] for a in body["data"]] == ["ASHIA three", "ashia two"]
    item = body["data"][0]
    assert set(item) == {
        "id",
        "name",
        "description",
        "mode",
        "icon_type",
        "icon",
        "icon_background",
        "icon_url",
        "max_active_requests",
        "model_config",
        "workflow",
        "use_icon_as_answer_icon",
        "created_at",
        "updated_at",
        "tags",
    }
    assert set(item["model_config"]) == {"model", "pre_prompt"}
    second = mesh.http.get(f"{API}/apps", params={"page": 2, "limit": 2, "name": "ashia"}, headers=owner.headers).json()
    assert [a["name"] for a in second["data"]] == ["Ashia one"] and second["has_more"] is False
    everything = mesh.http.get(f"{API}/apps", headers=owner.headers).json()
    assert (everything["page"], everything["limit"], everything["total"]) == (1, 20, 4)
    assert {a["id"] for a in everything["data"]} == {a["id"] for a in made}
    chats = mesh.http.get(f"{API}/apps", params={"mode": "chat"}, headers=owner.headers).json()
    assert chats["total"] == 0 and chats["data"] == []


def test_copy_makes_a_new_app_with_a_deep_copy_of_the_model_config(mesh: MeshClient) -> None:
    owner = tenant(mesh, "dify-copy")
    source = create(mesh, owner, name="Ashia")
    config = {**source["model_config"], "pre_prompt": "You are Ashia."}
    config.pop("created_at"), config.pop("updated_at")
    assert (
        mesh.http.post(f"{API}/apps/{source['id']}/model-config", json=config, headers=owner.headers).status_code == 200
    )
    body = {"name": "Ashia-2", "icon": "🤖", "icon_background": "#FFEAD5", "mode": "chat"}
    reply = mesh.http.post(f"{API}/apps/{source['id']}/copy", json=body, headers=owner.headers)
    assert reply.status_code == 201, reply.text
    copy = reply.json()
    assert set(copy) == DETAIL_KEYS
    assert copy["id"] != source["id"] and (copy["name"], copy["mode"]) == ("Ashia-2", "chat")
    assert copy["site"]["access_token"] != source["site"]["access_token"]
    assert copy["model_config"]["pre_prompt"] == "You are Ashia."
    later = {**config, "pre_prompt": "Changed after the copy."}
    mesh.http.post(f"{API}/apps/{source['id']}/model-config", json=later, headers=owner.headers)
    again = mesh.http.get(f"{API}/apps/{copy['id']}", headers=owner.headers).json()
    assert again["model_config"]["pre_prompt"] == "You are Ashia."
    source_now = mesh.http.get(f"{API}/apps/{source['id']}", headers=owner.headers).json()
    assert source_now["model_config"]["pre_prompt"] == "Changed after the copy."


def test_one_attribute_updates(mesh: MeshClient) -> None:
    owner = tenant(mesh, "dify-update")
    app = create(mesh, owner, name="Ashia")
    url = f"{API}/apps/{app['id']}"
    renamed = mesh.http.post(f"{url}/name", json={"name": "Ashia—34"}, headers=owner.headers)
    assert renamed.status_code == 200 and set(renamed.json()) == DETAIL_KEYS
    assert (renamed.json()["name"], renamed.json()["icon"]) == ("Ashia—34", "🤖")
    iconed = mesh.http.post(f"{url}/icon", json={"icon": "heavy_check_mark"}, headers=owner.headers).json()
    assert (iconed["icon"], iconed["icon_background"], iconed["name"]) == ("heavy_check_mark", "#FFEAD5", "Ashia—34")
    site_off = mesh.http.post(f"{url}/site-enable", json={"enable_site": False}, headers=owner.headers).json()
    assert (site_off["enable_site"], site_off["enable_api"]) == (False, True)
    api_off = mesh.http.post(f"{url}/api-enable", json={"enable_api": False}, headers=owner.headers).json()
    assert (api_off["enable_site"], api_off["enable_api"]) == (False, False)
    final = mesh.http.get(url, headers=owner.headers).json()
    assert (final["name"], final["icon"], final["enable_site"], final["enable_api"]) == (
        "Ashia—34",
        "heavy_check_mark",
        False,
        False,
    )
    assert final["updated_at"] >= final["created_at"]


def test_other_tenants_get_app_not_found_on_every_route(mesh: MeshClient) -> None:
    owner = tenant(mesh, "dify-owner")
    colleague = tenant(mesh, "dify-colleague", company=owner.company)
    stranger = tenant(mesh, "dify-stranger")
    app = create(mesh, owner, name="Private")
    url = f"{API}/apps/{app['id']}"
    probes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", url, None),
        ("DELETE", url, None),
        ("POST", f"{url}/copy", {"name": "x", "mode": "chat"}),
        ("POST", f"{url}/name", {"name": "stolen"}),
        ("POST", f"{url}/icon", {"icon": "x"}),
        ("POST", f"{url}/site-enable", {"enable_site": False}),
        ("POST", f"{url}/api-enable", {"enable_api": False}),
        ("POST", f"{url}/model-config", {"model": {"provider": "p", "name": "m"}}),
        ("POST", f"{url}/site", {"title": "stolen"}),
        ("POST", f"{url}/site/access-token-reset", None),
    ]
    for intruder in (colleague, stranger):
        for method, path, body in probes:
            not_found(mesh.http.request(method, path, json=body, headers=intruder.headers))
        assert mesh.http.get(f"{API}/apps", headers=intruder.headers).json()["total"] == 0
    unknown = str(uuid.uuid4())
    for method, path, body in probes:
        not_found(mesh.http.request(method, path.replace(app["id"], unknown), json=body, headers=owner.headers))
    assert mesh.http.get(url, headers=owner.headers).json() == app


def test_bad_input_is_a_400_naming_the_field(mesh: MeshClient) -> None:
    owner = tenant(mesh, "dify-bad")
    app = create(mesh, owner)

    def refused(reply: Any, field: str, *words: str) -> None:
        assert reply.status_code == 400, reply.text
        body = reply.json()
        assert set(body) == {"code", "message", "status", "params"}
        assert (body["code"], body["status"], body["params"]) == ("invalid_param", 400, field)
        assert all(w in body["message"] for w in words), body["message"]

    for method, suffix in (("GET", ""), ("DELETE", ""), ("POST", "/name"), ("POST", "/site/access-token-reset")):
        reply = mesh.http.request(method, f"{API}/apps/not-a-uuid{suffix}", json={"name": "x"}, headers=owner.headers)
        refused(reply, "app_id", "UUID")
    refused(
        mesh.http.post(f"{API}/apps", json={**SEED_CREATE, "mode": "chatbot"}, headers=owner.headers), "mode", "chat"
    )
    refused(
        mesh.http.post(f"{API}/apps", json={**SEED_CREATE, "name": "n" * 256}, headers=owner.headers), "name", "255"
    )
    refused(mesh.http.post(f"{API}/apps", json={**SEED_CREATE, "name": "   "}, headers=owner.headers), "name")
    refused(mesh.http.post(f"{API}/apps", json={**SEED_CREATE, "name": 42}, headers=owner.headers), "name")
    refused(mesh.http.post(f"{API}/apps", json={"name": "no mode"}, headers=owner.headers), "mode", "required")
    long_description = {**SEED_CREATE, "description": "d" * 401}
    refused(mesh.http.post(f"{API}/apps", json=long_description, headers=owner.headers), "description", "400")
    refused(mesh.http.post(f"{API}/apps/{app['id']}/copy", json={"mode": "bot"}, headers=owner.headers), "mode")
    refused(mesh.http.post(f"{API}/apps/{app['id']}/name", json={"name": "x" * 300}, headers=owner.headers), "name")
    refused(
        mesh.http.post(f"{API}/apps/{app['id']}/site-enable", json={"enable_site": "yes"}, headers=owner.headers),
        "enable_site",
    )
    refused(mesh.http.post(f"{API}/apps/{app['id']}/api-enable", json={}, headers=owner.headers), "enable_api")
    refused(mesh.http.get(f"{API}/apps", params={"page": 0}, headers=owner.headers), "page")
    refused(mesh.http.get(f"{API}/apps", params={"limit": 101}, headers=owner.headers), "limit")
    refused(mesh.http.get(f"{API}/apps", params={"mode": "bots"}, headers=owner.headers), "mode")
    assert mesh.http.get(f"{API}/apps", headers=owner.headers).json()["total"] == 1
    assert mesh.http.get(f"{API}/apps/{app['id']}", headers=owner.headers).json() == app


def test_a_missing_token_is_401_in_dify_shape(mesh: MeshClient) -> None:
    reply = mesh.http.get(f"{API}/apps")
    assert reply.status_code == 401
    assert reply.json() == {"code": "unauthorized", "message": "missing bearer token", "status": 401}
