"""OpenTelemetry tracing: one provider per process (OTLP/HTTP when configured) and spans for gRPC, NATS and HTTP."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import grpc
import httpx
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from services.kit.errors import MeshError

TRACER_NAME = "meshconsole"
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")

# While off, every helper below returns at once: no span, no context to extract or inject (a few hundred ns).
_tracer: trace.Tracer = trace.get_tracer(TRACER_NAME)
_enabled = False
_OFF: Span = trace.INVALID_SPAN
# Done-callbacks cannot await a call's status; the tasks that read it are kept here until they finish.
_finishing: set[asyncio.Task[None]] = set()


def export_configured(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process should export spans: an OTLP endpoint is set and the SDK is not disabled."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(env.get(name, "").strip() for name in ENDPOINT_VARIABLES)


def configure_tracing(service: str, *, exporter: SpanExporter | None = None) -> bool:
    """Install a provider named after the service when an OTLP endpoint is configured (or an exporter given).

    Without one, tracing stays off: spans are the API's no-op ones and nothing is exported. Sampling, batching
    and the endpoint follow the standard OTEL_* variables. Returns whether tracing is on.
    """
    if exporter is None:
        if not export_configured():
            return False
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service, "service.namespace": "meshconsole"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    use_provider(provider)
    return True


def use_provider(provider: trace.TracerProvider | None) -> None:
    """Send the kit's spans to this provider and count tracing as on (tests: an in-memory exporter); None: off."""
    global _tracer, _enabled
    _tracer = (provider or trace.get_tracer_provider()).get_tracer(TRACER_NAME)
    _enabled = provider is not None


def tracing_enabled() -> bool:
    """Whether configure_tracing installed an exporting provider in this process."""
    return _enabled


def tracer() -> trace.Tracer:
    """The tracer the kit's spans come from."""
    return _tracer


def _inject(span: Span) -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    return carrier


def _extract(pairs: Sequence[tuple[str, Any]] | Mapping[str, Any] | None) -> otel_context.Context:
    items = pairs.items() if isinstance(pairs, Mapping) else (pairs or ())
    fields = propagate.get_global_textmap().fields
    return propagate.extract({key.lower(): value for key, value in items if key.lower() in fields})


def _fail(span: Span, error: BaseException) -> None:
    """Mark a span failed with the status code (gRPC's name) the error stands for."""
    if isinstance(error, MeshError):
        span.set_attribute("mesh.reason", error.reason)
        span.set_status(Status(StatusCode.ERROR, f"{error.code.name}: {error.reason}"))
    elif isinstance(error, GeneratorExit | asyncio.CancelledError):
        span.set_status(Status(StatusCode.ERROR, "CANCELLED"))
    else:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))


def fail_current_span(error: BaseException) -> None:
    """Mark the current span failed by an error that is handled rather than raised (a task to retry)."""
    span = trace.get_current_span()
    if span.is_recording():
        _fail(span, error)


def _rpc_attributes(method: str) -> dict[str, str]:
    service, _, name = method.lstrip("/").partition("/")
    return {"rpc.system": "grpc", "rpc.service": service, "rpc.method": name}


# gRPC -------------------------------------------------------------------------------------------------------------


def start_client_span(method: str) -> tuple[Span, tuple[tuple[str, str], ...]]:
    """A CLIENT span for one outgoing call and the metadata that carries its context (W3C traceparent)."""
    if not _enabled:
        return _OFF, ()
    span = _tracer.start_span(method.lstrip("/"), kind=SpanKind.CLIENT, attributes=_rpc_attributes(method))
    return span, tuple(_inject(span).items())


def end_client_span_when_done(span: Span, call: Any) -> None:
    """End the span when the call ends, with its status code."""
    if not span.is_recording():
        return
    if not hasattr(call, "add_done_callback"):
        span.end()
        return

    def done(finished: Any) -> None:
        if finished.cancelled():
            span.set_attribute("rpc.grpc.status_code", grpc.StatusCode.CANCELLED.value[0])
            span.set_status(Status(StatusCode.ERROR, "CANCELLED"))
            span.end()
            return
        task = asyncio.get_running_loop().create_task(_end_with_code(span, finished))
        _finishing.add(task)
        task.add_done_callback(_finishing.discard)

    call.add_done_callback(done)


async def _end_with_code(span: Span, call: Any) -> None:
    try:
        code = await call.code()
        span.set_attribute("rpc.grpc.status_code", code.value[0])
        if code != grpc.StatusCode.OK:
            span.set_status(Status(StatusCode.ERROR, code.name))
    finally:
        span.end()


def start_server_span(method: str, metadata: Sequence[tuple[str, Any]] | None) -> Span:
    """A SERVER span for one incoming call, child of the caller's span, made current for the handler.

    grpc.aio runs every call in a task of its own, so the context set here ends with that task (like the
    request id and principal the gate binds) and is never detached.
    """
    if not _enabled:
        return _OFF
    span = _tracer.start_span(
        method.lstrip("/"), context=_extract(metadata), kind=SpanKind.SERVER, attributes=_rpc_attributes(method)
    )
    otel_context.attach(trace.set_span_in_context(span))
    return span


def end_server_span(span: Span, error: BaseException | None) -> None:
    """End a server span with the status the call ended with."""
    if span is _OFF:
        return
    if error is None:
        span.set_attribute("rpc.grpc.status_code", grpc.StatusCode.OK.value[0])
    else:
        code = error.code if isinstance(error, MeshError) else grpc.StatusCode.INTERNAL
        span.set_attribute("rpc.grpc.status_code", code.value[0])
        _fail(span, error)
    span.end()


# NATS -------------------------------------------------------------------------------------------------------------


def _messaging(subject: str, operation: str) -> dict[str, str]:
    return {"messaging.system": "nats", "messaging.destination.name": subject, "messaging.operation.type": operation}


@contextmanager
def producer_span(subject: str) -> Iterator[Span]:
    """A PRODUCER span around one publish; headers built inside it (kit.nats.request_headers) carry it."""
    if not _enabled:
        yield _OFF
        return
    with _tracer.start_as_current_span(
        f"publish {subject}", kind=SpanKind.PRODUCER, attributes=_messaging(subject, "publish")
    ) as span:
        yield span


def inject_headers(headers: dict[str, str]) -> dict[str, str]:
    """Add the current span's context (W3C traceparent) to NATS headers."""
    if _enabled:
        propagate.inject(headers)
    return headers


@contextmanager
def consumer_span(subject: str, headers: Mapping[str, str] | None, *, consumer: str, delivery: int) -> Iterator[Span]:
    """A CONSUMER span for handling one message, child of the span that published it."""
    if not _enabled:
        yield _OFF
        return
    attributes: dict[str, Any] = {
        **_messaging(subject, "process"),
        "messaging.consumer.group.name": consumer,
        "messaging.nats.delivery": delivery,
    }
    with _tracer.start_as_current_span(
        f"process {subject}",
        context=_extract(headers),
        kind=SpanKind.CONSUMER,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield span
        except BaseException as error:
            _fail(span, error)
            raise


# HTTP (upstream model calls) --------------------------------------------------------------------------------------


class TracedTransport(httpx.AsyncBaseTransport):
    """An httpx transport wrapper: a CLIENT span per request, until its body is read, with traceparent sent along."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        span = _tracer.start_span(
            f"{request.method} {url.path}",
            kind=SpanKind.CLIENT,
            attributes={
                "http.request.method": request.method,
                "server.address": url.host,
                "server.port": url.port or (443 if url.scheme == "https" else 80),
                "url.full": str(url.copy_with(query=None)),
            },
        )
        for key, value in _inject(span).items():
            request.headers[key] = value
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException as error:
            _fail(span, error)
            span.end()
            raise
        span.set_attribute("http.response.status_code", response.status_code)
        if response.status_code >= 400:
            span.set_status(Status(StatusCode.ERROR, f"HTTP {response.status_code}"))
        response.stream = _SpanEndingStream(response.stream, span)  # type: ignore[arg-type]
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class _SpanEndingStream(httpx.AsyncByteStream):
    """A response body that ends its request's span once read or closed (a stream lasts as long as its answer)."""

    def __init__(self, inner: Any, span: Span) -> None:
        self.inner, self.span = inner, span

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.inner:
                yield chunk
        except BaseException as error:
            _fail(self.span, error)
            raise

    async def aclose(self) -> None:
        try:
            await self.inner.aclose()
        finally:
            self.span.end()


def traced_transport(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
    """The transport wrapped in a span per request when tracing is on; unchanged otherwise."""
    return TracedTransport(inner) if _enabled else inner
