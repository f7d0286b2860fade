"""Every process of the mesh serves Prometheus metrics that prometheus_client's own parser reads."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from services.kit.settings import SERVICE_NAMES
from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from tests.e2e.conftest import UPSTREAM_MODEL, MeshClient
from tests.e2e.dify.apps_helpers import tenant
from tests.e2e.retrieval.helpers import wait_task


def scrape(url: str) -> dict[str, list[tuple[str, dict[str, str], float]]]:
    reply = httpx.get(url, timeout=10)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain"), reply.text[:200]
    return {
        family.name: [(s.name, dict(s.labels), s.value) for s in family.samples]
        for family in text_string_to_metric_families(reply.text)
    }


def test_every_service_and_the_gateway_serve_parseable_metrics(mesh: MeshClient) -> None:
    mesh.admin_token()  # at least one call to identity, answered OK
    ports = mesh.mesh.metrics_ports
    assert set(ports) == set(SERVICE_NAMES)
    for name, port in ports.items():
        families = scrape(f"http://127.0.0.1:{port}/metrics")
        for family in ("mesh_grpc_server_requests", "mesh_grpc_server_request_seconds", "mesh_grpc_server_in_flight"):
            assert family in families, (name, sorted(families))
    identity = scrape(f"http://127.0.0.1:{ports['identity']}/metrics")["mesh_grpc_server_requests"]
    logins = [v for n, labels, v in identity if labels.get("method", "").endswith("/Login") and labels["code"] == "OK"]
    assert logins and logins[0] >= 1
    gateway = scrape(f"{mesh.mesh.base_url}/metrics")
    assert "mesh_gateway_requests" in gateway


def value(families: dict[str, list[tuple[str, dict[str, str], float]]], sample: str, **labels: str) -> float:
    """The summed value of the samples named `sample` whose labels include `labels` (0 when none)."""
    family = sample.removesuffix("_total").removesuffix("_count").removesuffix("_sum")
    return sum(
        v
        for name, found, v in families.get(family, [])
        if name == sample and all(found.get(k) == want for k, want in labels.items())
    )


def test_generation_metrics_move_with_streams_and_upstream_failures(
    mesh: MeshClient, scripted: ScriptedUpstream
) -> None:
    alice = tenant(mesh, "metrics-chat")
    app = mesh.http.post("/console/api/apps", json={"name": "Metered", "mode": "chat"}, headers=alice.headers)
    assert app.status_code in (200, 201), app.text
    url = f"{mesh.mesh.base_url}/console/api/apps/{app.json()['id']}/chat-messages"
    chat = f"http://127.0.0.1:{mesh.mesh.metrics_ports['chat']}/metrics"
    model = {"model": UPSTREAM_MODEL}
    before = scrape(chat)
    body = {"query": "Count my tokens", "inputs": {}, "response_mode": "streaming"}
    answered = mesh.http.post(url, json=body, headers=alice.headers)
    assert answered.status_code == 200 and "upstream" in answered.text
    scripted.push(Script(status=500, error_message="the model fell over"))
    failed = mesh.http.post(url, json=body, headers=alice.headers)
    assert failed.status_code >= 500, failed.text
    after = scrape(chat)
    ttft = "mesh_generation_time_to_first_token_seconds_count"
    assert value(after, ttft, **model) == value(before, ttft, **model) + 1
    speed = "mesh_generation_tokens_per_second_count"
    assert value(after, speed, **model) == value(before, speed, **model) + 1
    tokens = "mesh_generation_completion_tokens_total"
    assert value(after, tokens, **model) - value(before, tokens, **model) >= 5  # the scripted answer's five chunks
    errors = "mesh_generation_upstream_errors_total"
    assert (
        value(after, errors, reason="upstream_error", **model)
        == value(before, errors, reason="upstream_error", **model) + 1
    )
    streams = "mesh_generation_streams_total"
    assert (
        value(after, streams, outcome="completed", **model) == value(before, streams, outcome="completed", **model) + 1
    )


def test_retrieval_and_queue_metrics_move_with_an_ingestion_and_a_search(mesh: MeshClient) -> None:
    alice = tenant(mesh, "metrics-kb")
    retrieval = f"http://127.0.0.1:{mesh.mesh.metrics_ports['retrieval']}/metrics"
    before = scrape(retrieval)
    assert mesh.http.post("/api/indices/kb-metrics", headers=alice.headers).status_code == 200
    upload = mesh.http.post(
        "/api/file/upload",
        headers=alice.headers,
        data={"index_name": "kb-metrics", "chunking_strategy": "by_title"},
        files=[
            ("file", ("gauges.md", b"# Gauges\nA gauge goes up and down; a counter only goes up.", "text/markdown"))
        ],
    )
    assert upload.status_code == 200, upload.text
    (task_id,) = upload.json()["process_tasks"]["task_ids"]
    assert wait_task(mesh, alice, task_id)["status"] == "COMPLETED"
    found = mesh.http.post(
        "/api/indices/search/hybrid",
        headers=alice.headers,
        json={"query": "counter gauge", "index_names": ["kb-metrics"]},
    )
    assert found.status_code == 200, found.text
    after = scrape(retrieval)
    for sample in ("mesh_retrieval_indexed_documents_total", "mesh_retrieval_index_document_seconds_count"):
        assert value(after, sample) == value(before, sample) + 1, sample
    assert value(after, "mesh_retrieval_indexed_chunks_total") > value(before, "mesh_retrieval_indexed_chunks_total")
    assert value(after, "mesh_retrieval_indexed_characters_total") - value(
        before, "mesh_retrieval_indexed_characters_total"
    ) >= len("A gauge goes up and down; a counter only goes up.")
    searches = "mesh_retrieval_search_seconds_count"
    assert value(after, searches, mode="hybrid") == value(before, searches, mode="hybrid") + 1
    # The task went through retrieval's two work queues: recorded by the intake, then run and acked by a worker.
    for consumer in ("retrieval_intake", "retrieval_run"):
        acked = {"stream": "MESH_TASKS", "consumer": consumer, "outcome": "acked"}
        assert (
            value(after, "mesh_workqueue_tasks_total", **acked)
            >= value(before, "mesh_workqueue_tasks_total", **acked) + 1
        )
        assert [v for n, labels, v in after["mesh_workqueue_pending"] if labels["consumer"] == consumer], consumer
