"""Kit spans with the SDK's in-memory exporter: gRPC client and server, NATS publish and consume, upstream HTTP."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import grpc
import httpx
import pytest
import pytest_asyncio
from nats.aio.client import Client
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from services.kit import grpc_client, tracing
from services.kit.context import current_request_id, request_id_var
from services.kit.errors import NotFound
from services.kit.grpc_server import HealthRegistry, ServiceBinding, create_server
from services.kit.nats import (
    Task,
    WorkQueueConsumer,
    ensure_stream,
    publish_signal,
    publish_task,
    request_headers,
    subscribe_traced,
)
from services.kit.testing.openai_upstream import ScriptedUpstream

pytestmark = pytest.mark.timeout(60)


async def _echo(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    # The handler runs inside the server span, so its own work (and logs) belong to the trace.
    return format(trace.get_current_span().get_span_context().trace_id, "032x").encode()


async def _count(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
    for i in range(int(request.decode())):
        yield str(i).encode()
    raise NotFound("ran out", reason="stream_end_error")


def _add(servicer: Any, server: grpc.aio.Server) -> None:
    identity = {"request_deserializer": None, "response_serializer": None}
    handlers = {
        "Echo": grpc.unary_unary_rpc_method_handler(_echo, **identity),
        "Count": grpc.unary_stream_rpc_method_handler(_count, **identity),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Traced", handlers),))


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_provider(provider)
    try:
        yield exporter
    finally:
        tracing.use_provider(None)


@pytest_asyncio.fixture(loop_scope="session")
async def channel() -> AsyncIterator[grpc_client.MeshChannel]:
    server, port = create_server(
        "127.0.0.1:0", bindings=[ServiceBinding("test.Traced", _add, None)], health=HealthRegistry()
    )
    await server.start()
    async with grpc_client.create_channel(f"127.0.0.1:{port}") as chan:
        yield chan
    await server.stop(0)


async def finished(exporter: InMemorySpanExporter, ready: Callable[[list[ReadableSpan]], bool]) -> list[ReadableSpan]:
    """The finished spans once `ready` says they are all there (a client span ends after its call's status)."""
    deadline = time.monotonic() + 10
    while not ready(found := list(exporter.get_finished_spans())):
        assert time.monotonic() < deadline, [s.name for s in found]
        await asyncio.sleep(0.02)
    return found


def one(found: list[ReadableSpan], name: str, kind: SpanKind) -> ReadableSpan:
    matches = [s for s in found if s.name == name and s.kind == kind]
    assert len(matches) == 1, [(s.name, s.kind) for s in found]
    return matches[0]


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent else None


async def test_a_unary_call_makes_a_client_span_and_a_child_server_span(
    spans: InMemorySpanExporter, channel: grpc_client.MeshChannel
) -> None:
    with tracing.tracer().start_as_current_span("caller") as root:
        answer = await grpc_client.unary(channel.unary_unary("/test.Traced/Echo"), b"", timeout_s=5)
    found = await finished(spans, lambda s: len(s) == 3)
    client = one(found, "test.Traced/Echo", SpanKind.CLIENT)
    server = one(found, "test.Traced/Echo", SpanKind.SERVER)
    trace_id = root.get_span_context().trace_id
    assert answer == format(trace_id, "032x").encode()
    assert {client.context.trace_id, server.context.trace_id} == {trace_id}
    assert parent_of(client) == root.get_span_context().span_id
    assert parent_of(server) == client.context.span_id
    assert client.attributes["rpc.grpc.status_code"] == server.attributes["rpc.grpc.status_code"] == 0
    assert server.attributes["rpc.service"] == "test.Traced" and server.attributes["rpc.method"] == "Echo"


async def test_a_failing_stream_marks_both_spans_with_its_status(
    spans: InMemorySpanExporter, channel: grpc_client.MeshChannel
) -> None:
    seen: list[bytes] = []
    with pytest.raises(NotFound):
        async for item in grpc_client.server_stream(
            channel.unary_stream("/test.Traced/Count"), b"2", timeout_s=5, idle_timeout_s=5
        ):
            seen.append(item)
    assert seen == [b"0", b"1"]
    found = await finished(spans, lambda s: len(s) == 2)
    client = one(found, "test.Traced/Count", SpanKind.CLIENT)
    server = one(found, "test.Traced/Count", SpanKind.SERVER)
    assert parent_of(server) == client.context.span_id
    assert server.status.status_code == client.status.status_code == StatusCode.ERROR
    assert server.attributes["mesh.reason"] == "stream_end_error"
    assert server.attributes["rpc.grpc.status_code"] == client.attributes["rpc.grpc.status_code"] == 5


async def test_a_task_is_consumed_in_a_child_of_the_span_that_published_it(
    spans: InMemorySpanExporter, nats_client: Client
) -> None:
    js = nats_client.jetstream()
    tag = uuid.uuid4().hex[:8]
    stream, subject = f"TRACED_{tag}", f"mesh.tasks.traced{tag}.run"
    await ensure_stream(js, name=stream, subjects=[subject])
    handled: list[tuple[int, int]] = []

    async def handler(task: Task) -> None:
        context = trace.get_current_span().get_span_context()
        handled.append((task.delivery, context.trace_id))
        if task.delivery == 1:
            raise RuntimeError("transient")

    consumer = WorkQueueConsumer(
        js, stream=stream, subject=subject, durable=f"w_{tag}", handler=handler, backoff=[0.05], fetch_timeout_s=0.5
    )
    consumer.start()
    try:
        with tracing.tracer().start_as_current_span("uploader") as root:
            await publish_task(js, subject=subject, payload={"doc": 1})
        found = await finished(spans, lambda s: sum(x.kind == SpanKind.CONSUMER for x in s) == 2)
    finally:
        await consumer.stop(grace_s=2)
    trace_id = root.get_span_context().trace_id
    assert handled == [(1, trace_id), (2, trace_id)]
    producer = one(found, f"publish {subject}", SpanKind.PRODUCER)
    first, second = sorted(
        (s for s in found if s.kind == SpanKind.CONSUMER), key=lambda s: s.attributes["messaging.nats.delivery"]
    )
    assert parent_of(producer) == root.get_span_context().span_id
    assert parent_of(first) == parent_of(second) == producer.context.span_id
    assert first.status.status_code == StatusCode.ERROR and second.status.status_code == StatusCode.UNSET
    assert first.name == f"process {subject}" and first.attributes["messaging.consumer.group.name"] == f"w_{tag}"


async def test_a_core_nats_signal_is_handled_in_a_child_of_the_span_that_sent_it(
    spans: InMemorySpanExporter, nats_client: Client
) -> None:
    subject = f"mesh.control.chat.stop.traced{uuid.uuid4().hex[:8]}"
    seen: list[tuple[int, str | None]] = []
    done = asyncio.Event()

    async def on_stop(msg: Any) -> None:
        seen.append((trace.get_current_span().get_span_context().trace_id, current_request_id()))
        done.set()

    sub = await subscribe_traced(nats_client, subject, on_stop, consumer="chat-stop")
    token = request_id_var.set("req-stop-1")
    try:
        with tracing.tracer().start_as_current_span("stop request") as root:
            await publish_signal(nats_client, subject)
        await asyncio.wait_for(done.wait(), timeout=10)
    finally:
        request_id_var.reset(token)
        await sub.unsubscribe()
    found = await finished(spans, lambda s: any(x.kind == SpanKind.CONSUMER for x in s))
    assert seen == [(root.get_span_context().trace_id, "req-stop-1")]
    producer = one(found, f"publish {subject}", SpanKind.PRODUCER)
    consumer = one(found, f"process {subject}", SpanKind.CONSUMER)
    assert parent_of(producer) == root.get_span_context().span_id
    assert parent_of(consumer) == producer.context.span_id
    assert consumer.attributes["messaging.consumer.group.name"] == "chat-stop"


async def test_an_upstream_request_span_lasts_until_its_stream_is_read(spans: InMemorySpanExporter) -> None:
    with ScriptedUpstream() as upstream:
        async with httpx.AsyncClient(transport=tracing.traced_transport(httpx.AsyncHTTPTransport())) as http:
            with tracing.tracer().start_as_current_span("generation") as root:
                body = {"model": "mesh-test-model", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
                async with http.stream("POST", f"{upstream.base_url}/chat/completions", json=body) as response:
                    assert not [s for s in spans.get_finished_spans() if s.kind == SpanKind.CLIENT]
                    text = (await response.aread()).decode()
        sent = upstream.chat_requests()[0].headers["traceparent"]
    assert "upstream" in text
    found = await finished(spans, lambda s: len(s) == 2)
    call = one(found, "POST /v1/chat/completions", SpanKind.CLIENT)
    assert parent_of(call) == root.get_span_context().span_id
    assert call.attributes["http.response.status_code"] == 200
    # The upstream sees the same trace (W3C traceparent: version-trace_id-span_id-flags).
    assert sent.split("-")[1:3] == [format(call.context.trace_id, "032x"), format(call.context.span_id, "016x")]


def test_tracing_is_off_without_an_otlp_endpoint() -> None:
    assert not tracing.export_configured({})
    assert not tracing.export_configured({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"})
    assert tracing.export_configured({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing.export_configured({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"})
    inner = httpx.AsyncHTTPTransport()
    assert tracing.traced_transport(inner) is inner  # off: no wrapper on the upstream's hot path
    # Off: no span, nothing injected into gRPC metadata or NATS headers, even inside a caller's span.
    caller = TracerProvider().get_tracer("caller")
    with caller.start_as_current_span("outside"):
        span, metadata = tracing.start_client_span("/test.Traced/Echo")
        assert not span.is_recording() and metadata == ()
        assert "traceparent" not in request_headers()
        with tracing.producer_span("mesh.tasks.x") as producer:
            assert not producer.is_recording()
