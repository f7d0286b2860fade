"""Traces across the mesh started by the launcher, exported over OTLP/HTTP to a receiver inside the test."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from services.kit.testing.openai_upstream import ScriptedUpstream
from tests.e2e.conftest import MeshClient, start_mesh
from tests.e2e.dify.apps_helpers import tenant
from tests.e2e.otlp_receiver import OtlpReceiver, ReceivedSpan
from tests.e2e.retrieval.helpers import wait_task

pytestmark = pytest.mark.e2e

GENERATE = "meshconsole.chat.v1.GenerationService/Generate"


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as running:
        yield running


@pytest.fixture(scope="module")
def traced(
    tmp_path_factory: pytest.TempPathFactory, upstream: ScriptedUpstream, receiver: OtlpReceiver
) -> Iterator[MeshClient]:
    """A mesh of its own whose every process exports its spans to the receiver (batches every 100 ms)."""
    settings = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    running = start_mesh(tmp_path_factory.mktemp("traced"), upstream, settings=settings)
    try:
        with httpx.Client(base_url=running.base_url, timeout=60.0) as http:
            yield MeshClient(mesh=running, http=http)
    finally:
        running.stop()


def gateway_root(receiver: OtlpReceiver, route: str) -> ReceivedSpan | None:
    found = [s for s in receiver.received() if s.service == "gateway" and s.kind == "server" and s.name == route]
    return found[-1] if found else None


def trace_of(receiver: OtlpReceiver, trace_id: str) -> list[ReceivedSpan]:
    return [s for s in receiver.received() if s.trace_id == trace_id]


def wait_for_trace(
    receiver: OtlpReceiver, route: str, complete: Callable[[list[ReceivedSpan]], bool]
) -> list[ReceivedSpan]:
    """The trace rooted at the gateway's span for `route`, once `complete` holds for it and it is connected."""
    deadline = time.monotonic() + 60
    spans: list[ReceivedSpan] = []
    while time.monotonic() < deadline:
        root = gateway_root(receiver, route)
        if root is not None:
            spans = trace_of(receiver, root.trace_id)
            if complete(spans) and not unparented(spans):
                return spans
        time.sleep(0.2)
    raise AssertionError(f"no complete trace for {route}: {[(s.service, s.kind, s.name) for s in spans]}")


def unparented(spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
    """Spans whose parent is not in the trace (only the gateway's root may have none)."""
    ids = {s.span_id for s in spans}
    return [s for s in spans if s.parent_id and s.parent_id not in ids]


def find(spans: list[ReceivedSpan], service: str, kind: str, name: str) -> list[ReceivedSpan]:
    return [s for s in spans if s.service == service and s.kind == kind and s.name == name]


def test_one_chat_request_is_one_trace_through_gateway_chat_and_the_upstream(
    traced: MeshClient, receiver: OtlpReceiver, scripted: ScriptedUpstream
) -> None:
    alice = tenant(traced, "traced-chat")
    app_id = traced.http.post("/console/api/apps", json={"name": "Traced", "mode": "chat"}, headers=alice.headers)
    assert app_id.status_code in (200, 201), app_id.text
    route = "/console/api/apps/{app_id}/chat-messages"
    reply = traced.http.post(
        route.replace("{app_id}", app_id.json()["id"]),
        json={"query": "Hello traces", "inputs": {}, "response_mode": "streaming"},
        headers=alice.headers,
    )
    assert reply.status_code == 200 and "upstream" in reply.text, reply.text[:300]

    def complete(spans: list[ReceivedSpan]) -> bool:
        return bool(find(spans, "chat", "client", "POST /v1/chat/completions"))

    spans = wait_for_trace(receiver, f"POST {route}", complete)
    root = [s for s in spans if not s.parent_id]
    assert len(root) == 1 and root[0].service == "gateway", root
    by_id = {s.span_id: s for s in spans}
    # gateway --gRPC--> chat.Generate --HTTP--> the upstream model, each hop the child of the one before.
    (generate,) = find(spans, "chat", "server", GENERATE)
    caller = by_id[generate.parent_id]
    assert (caller.service, caller.kind, caller.name) == ("gateway", "client", GENERATE)
    (call,) = find(spans, "chat", "client", "POST /v1/chat/completions")
    ancestor = by_id[call.parent_id]
    while ancestor.span_id != generate.span_id:
        ancestor = by_id[ancestor.parent_id]
    assert call.attributes["http.response.status_code"] == 200
    # Generate reads the app's config from apps on the way: that hop is in the same trace.
    (config,) = find(spans, "apps", "server", "meshconsole.apps.v1.AppsService/GetAppConfig")
    assert by_id[by_id[config.parent_id].parent_id].span_id == generate.span_id
    # The upstream received the trace context of the call's span.
    sent = [r.headers.get("traceparent", "").split("-")[1:3] for r in scripted.chat_requests()]
    assert [call.trace_id, call.span_id] in sent, sent


def test_one_ingestion_is_one_trace_through_files_nats_and_retrieval(
    traced: MeshClient, receiver: OtlpReceiver
) -> None:
    alice = tenant(traced, "traced-kb")
    assert traced.http.post("/api/indices/kb-traced", headers=alice.headers).status_code == 200
    upload = traced.http.post(
        "/api/file/upload",
        headers=alice.headers,
        data={"index_name": "kb-traced", "chunking_strategy": "by_title"},
        files=[("file", ("notes.md", b"# Notes\nTraces follow the document from upload to index.", "text/markdown"))],
    )
    assert upload.status_code == 200, upload.text
    (task_id,) = upload.json()["process_tasks"]["task_ids"]
    assert wait_task(traced, alice, task_id)["status"] == "COMPLETED"

    def complete(spans: list[ReceivedSpan]) -> bool:
        return bool(find(spans, "retrieval", "consumer", "process mesh.tasks.retrieval.run"))

    spans = wait_for_trace(receiver, "POST /api/file/upload", complete)
    by_id = {s.span_id: s for s in spans}
    assert {"gateway", "files", "retrieval"} <= {s.service for s in spans}
    # files queues the task on NATS; retrieval's intake records it and queues the run; a worker runs it.
    (published,) = find(spans, "files", "producer", "publish mesh.tasks.retrieval.ingest")
    (intake,) = find(spans, "retrieval", "consumer", "process mesh.tasks.retrieval.ingest")
    (queued,) = find(spans, "retrieval", "producer", "publish mesh.tasks.retrieval.run")
    (run,) = find(spans, "retrieval", "consumer", "process mesh.tasks.retrieval.run")
    assert intake.parent_id == published.span_id and queued.parent_id == intake.span_id
    assert run.parent_id == queued.span_id
    assert by_id[published.parent_id].service == "files"
    assert run.attributes["messaging.consumer.group.name"] == "retrieval_run" and not run.error
    # The worker's calls back to files (the document's text) hang under the run.
    under_run = [s for s in spans if s.service == "files" and s.kind == "server" and _descends(s, run, by_id)]
    assert under_run, [(s.service, s.kind, s.name) for s in spans]


def _descends(span: ReceivedSpan, ancestor: ReceivedSpan, by_id: dict[str, ReceivedSpan]) -> bool:
    while span.parent_id:
        if span.parent_id == ancestor.span_id:
            return True
        span = by_id[span.parent_id]
    return False
