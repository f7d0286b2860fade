"""Nexent /config/save_config and /config/load_config end to end: the seed shape, sealed and masked keys, tenancy."""

from __future__ import annotations

import copy
import json

from tests.e2e.conftest import MeshClient
from tests.e2e.dify.apps_helpers import rows, tenant

API = "/api/config"
SAVED = {"message": "配置保存成功", "status": "saved"}
CONFIG = {
    "app": {
        "name": "Research Helper",
        "description": "Finds and summarises papers",
        "icon": {"type": "custom", "avatarUri": "", "customUrl": "https://img.test/a.png"},
    },
    "models": {
        "llm": {
            "name": "qwen-max",
            "displayName": "Qwen Max",
            "apiConfig": {"apiKey": "sk-live-0123456789abcdef", "modelUrl": "https://llm.test/v1"},
        },
        "embedding": {
            "name": "bge-m3",
            "displayName": "BGE",
            "apiConfig": {"apiKey": "emb-secret-key-42", "modelUrl": "https://emb.test/v1"},
            "dimension": 1024,
        },
    },
    "data": {"selectedKbNames": ["papers"], "selectedKbModels": ["bge-m3"], "selectedKbSources": ["upload"]},
}
DEFAULT = {
    "app": {"name": "Nexent", "description": "", "icon": {"type": "preset", "avatarUri": "", "customUrl": ""}},
    "models": {"llm": {"name": "", "displayName": "", "apiConfig": {"apiKey": "", "modelUrl": ""}}},
    "data": {"selectedKbNames": [], "selectedKbModels": [], "selectedKbSources": []},
}


def stored(mesh: MeshClient, user_id: int) -> dict[str, object]:
    [(raw,)] = rows(mesh, "apps", "SELECT config FROM nexent_configs WHERE user_id = ?", user_id)
    return dict(json.loads(raw))


def test_load_before_save_returns_the_default(mesh: MeshClient) -> None:
    user = tenant(mesh, "nexent-fresh")
    reply = mesh.http.get(f"{API}/load_config", headers=user.headers)
    assert reply.status_code == 200 and reply.json() == {"config": DEFAULT}


def test_save_then_load_masks_keys_and_keeps_everything_else(mesh: MeshClient) -> None:
    user = tenant(mesh, "nexent-save")
    reply = mesh.http.post(f"{API}/save_config", json=CONFIG, headers=user.headers)
    assert reply.status_code == 200 and reply.json() == SAVED
    loaded = mesh.http.get(f"{API}/load_config", headers=user.headers).json()
    assert set(loaded) == {"config"}
    expected = copy.deepcopy(CONFIG)
    expected["models"]["llm"]["apiConfig"]["apiKey"] = "sk-l******cdef"  # type: ignore[index]
    expected["models"]["embedding"]["apiConfig"]["apiKey"] = "emb-******y-42"  # type: ignore[index]
    assert loaded["config"] == expected
    assert type(loaded["config"]["models"]["embedding"]["dimension"]) is int
    raw = json.dumps(stored(mesh, user.user_id))
    assert "sk-live-0123456789abcdef" not in raw and "emb-secret-key-42" not in raw
    assert stored(mesh, user.user_id)["models"]["llm"]["apiConfig"]["apiKey"].startswith("enc:")  # type: ignore[index]


def test_saving_the_masked_config_back_keeps_the_real_keys(mesh: MeshClient) -> None:
    user = tenant(mesh, "nexent-mask")
    mesh.http.post(f"{API}/save_config", json=CONFIG, headers=user.headers)
    sealed = stored(mesh, user.user_id)["models"]
    masked = mesh.http.get(f"{API}/load_config", headers=user.headers).json()["config"]
    masked["models"]["llm"]["displayName"] = "Qwen Max 2"
    assert mesh.http.post(f"{API}/save_config", json=masked, headers=user.headers).json() == SAVED
    resealed = stored(mesh, user.user_id)["models"]
    assert resealed["llm"]["apiConfig"]["apiKey"] == sealed["llm"]["apiConfig"]["apiKey"]  # type: ignore[index]
    assert resealed["llm"]["displayName"] == "Qwen Max 2"  # type: ignore[index]
    masked["models"]["llm"]["apiConfig"]["apiKey"] = "sk-brand-new-key-000"
    mesh.http.post(f"{API}/save_config", json=masked, headers=user.headers)
    changed = stored(mesh, user.user_id)["models"]
    assert changed["llm"]["apiConfig"]["apiKey"] != sealed["llm"]["apiConfig"]["apiKey"]  # type: ignore[index]
    assert changed["embedding"]["apiConfig"]["apiKey"] == sealed["embedding"]["apiConfig"]["apiKey"]  # type: ignore[index]
    loaded = mesh.http.get(f"{API}/load_config", headers=user.headers).json()["config"]
    assert loaded["models"]["llm"]["apiConfig"]["apiKey"] == "sk-b******-000"


def test_configs_are_per_user(mesh: MeshClient) -> None:
    owner = tenant(mesh, "nexent-owner")
    colleague = tenant(mesh, "nexent-peer", company=owner.company)
    mesh.http.post(f"{API}/save_config", json=CONFIG, headers=owner.headers)
    assert mesh.http.get(f"{API}/load_config", headers=colleague.headers).json() == {"config": DEFAULT}
    assert mesh.http.get(f"{API}/load_config", headers=owner.headers).json()["config"]["app"] == CONFIG["app"]


def test_bad_shapes_are_refused_naming_the_field(mesh: MeshClient) -> None:
    user = tenant(mesh, "nexent-bad")
    mesh.http.post(f"{API}/save_config", json=CONFIG, headers=user.headers)
    probes = [
        ({**CONFIG, "app": "Research"}, "app"),
        ({**CONFIG, "models": {"llm": {"apiConfig": {"apiKey": 12345}}}}, "models.llm.apiConfig.apiKey"),
        ({**CONFIG, "models": {"llm": "qwen"}}, "models.llm"),
        ({**CONFIG, "data": {"selectedKbNames": "papers"}}, "data.selectedKbNames"),
    ]
    for body, field in probes:
        reply = mesh.http.post(f"{API}/save_config", json=body, headers=user.headers)
        assert reply.status_code == 400, reply.text
        assert set(reply.json()) == {"detail"} and field in reply.json()["detail"]
    as_list = mesh.http.post(f"{API}/save_config", json=[CONFIG], headers=user.headers)
    assert as_list.status_code == 400 and set(as_list.json()) == {"detail"}
    loaded = mesh.http.get(f"{API}/load_config", headers=user.headers).json()["config"]
    assert loaded["app"] == CONFIG["app"] and loaded["data"] == CONFIG["data"]
    missing = mesh.http.get(f"{API}/load_config")
    assert missing.status_code == 401 and set(missing.json()) == {"detail"}
