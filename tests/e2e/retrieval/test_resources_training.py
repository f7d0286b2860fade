"""NextConsole resource search and rebuild, lbai training ground, end to end through the gateway."""

from __future__ import annotations

from typing import Any

import pytest

from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.conftest import MeshClient
from tests.e2e.dify.apps_helpers import Tenant, tenant
from tests.e2e.retrieval.helpers import QUERIES, documents, wait_for

pytestmark = pytest.mark.e2e


def _search(mesh: MeshClient, who: Tenant, keyword: str, **extra: Any) -> dict[str, Any]:
    reply = mesh.http.post(
        "/next_console/resources/search_by_resource_keyword",
        headers=who.headers,
        json={"resource_keyword": keyword, **extra},
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["error_code"], body["error_status"]) == (0, False), body
    return dict(body["result"])


def test_resource_library_search_rebuild_and_delete(mesh: MeshClient) -> None:
    alice, bob = tenant(mesh, "res-alice"), tenant(mesh, "res-bob")
    ids = {}
    for name, data, kind in documents():
        upload = {"data": (name, data, kind)}
        reply = mesh.http.post("/next_console/resources/upload", headers=alice.headers, files=upload)
        assert reply.status_code == 200, reply.text
        ids[name] = str(reply.json()["result"]["id"])
    for name in ids:  # the name match sees a resource once its vectors are built
        wait_for(lambda n=name: _search(mesh, alice, n.split(".")[0], rag_enhance=False)["total"] >= 1, what=name)
    for query, expected in QUERIES:
        result = _search(mesh, alice, query)
        assert set(result) == {"data", "author_info", "total"}
        assert str(result["data"][0]["resource_id"]) == ids[expected], (query, result["data"])
        assert result["author_info"][0]["user_id"] == alice.user_id
    by_name = _search(mesh, alice, "TEA", rag_enhance=False, page_size=1, page_num=1)
    assert by_name["total"] >= 1 and by_name["data"][0]["resource_name"] == "tea.docx"
    assert _search(mesh, bob, "basalt")["total"] == 0  # Bob's library is his own

    rebuilt = mesh.http.post(
        "/next_console/resources/ref/rebuild", headers=alice.headers, json={"resource_list": [int(ids["volcano.pdf"])]}
    )
    assert rebuilt.json()["result"] == {"build_cnt": 1}
    wait_for(
        lambda: (
            _search(mesh, alice, "basalt")["data"][:1]
            and str(_search(mesh, alice, "basalt")["data"][0]["resource_id"]) == ids["volcano.pdf"]
        ),
        what="rebuild",
    )
    bad = mesh.http.post("/next_console/resources/ref/rebuild", headers=alice.headers, json={"resource_list": []})
    assert bad.status_code == 400 and bad.json()["error_code"] == 1002
    missing = mesh.http.post("/next_console/resources/search_by_resource_keyword", headers=alice.headers, json={})
    assert missing.status_code == 400 and "resource_keyword" in missing.json()["error_message"]

    deleted = mesh.http.post(
        "/next_console/resources/object/delete", headers=alice.headers, json={"resource_id": int(ids["volcano.pdf"])}
    )
    assert deleted.json()["result"] == {"delete_cnt": 1}
    wait_for(
        lambda: all(str(d["resource_id"]) != ids["volcano.pdf"] for d in _search(mesh, alice, "basalt")["data"]),
        what="vectors of the deleted resource to go",
    )


def _training(mesh: MeshClient, who: Tenant, kind: int = 1) -> list[dict[str, Any]]:
    reply = mesh.http.get(f"/ai-api/v1/aiTrainingGround/list?type={kind}&pageSize=10&pageNum=1", headers=who.headers)
    assert reply.status_code == 200, reply.text
    return list(reply.json()["data"]["items"])


def test_training_ground_add_list_retry(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    dave = tenant(mesh, "train")
    scripted.push(Script(status=400, error_message="model refused"))  # the Q&A pass fails once
    added = mesh.http.post(
        "/ai-api/v1/aiTrainingGround/add",
        headers=dave.headers,
        files={"multipartFile": ("orbit.md", documents()[2][1], "text/markdown")},
    )
    assert added.status_code == 200 and added.json()["data"] is None and added.json()["success"], added.text
    items = wait_for(lambda: [i for i in _training(mesh, dave) if i["trainedStatus"] == 3], what="failed training")
    item = items[0]
    assert item["fileName"] == "orbit.md" and item["fileUrl"] and item["beBeingTrainedTime"]
    assert _training(mesh, dave, 2) == []
    scripted.default = Script(chunks=["Q: Why do satellites stay in orbit?\n", "A: Gravity bends their path.\n"])
    retry = mesh.http.get(f"/ai-api/v1/aiTrainingGround/retry?fileId={item['fileId']}", headers=dave.headers)
    assert retry.status_code == 200 and retry.json()["success"], retry.text
    wait_for(lambda: _training(mesh, dave, 2), what="trained results")
    assert _training(mesh, dave)[0]["trainedStatus"] == 2
    prompts = [r.body["messages"][-1]["content"] for r in scripted.chat_requests()]
    assert any("Satellites stay in orbit" in p for p in prompts)
    again = mesh.http.get(f"/ai-api/v1/aiTrainingGround/retry?fileId={item['fileId']}", headers=dave.headers)
    assert again.status_code == 400 and "only failed" in again.json()["message"] and not again.json()["success"]
    unknown = mesh.http.get("/ai-api/v1/aiTrainingGround/retry?fileId=nope", headers=dave.headers)
    assert unknown.status_code == 404
    other = tenant(mesh, "train-other")
    assert _training(mesh, other) == []
    image = {"multipartFile": ("x.png", bytes.fromhex("89504e470d0a1a0a") + b"\0" * 64, "image/png")}
    png = mesh.http.post("/ai-api/v1/aiTrainingGround/add", headers=dave.headers, files=image)
    assert png.status_code == 400 and "unsupported" in png.json()["message"]
    assert mesh.http.post("/ai-api/v1/aiTrainingGround/add", headers=dave.headers, data={"x": "1"}).status_code == 400
