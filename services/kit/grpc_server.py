"""grpc.aio server bootstrap: health, reflection, the credential/context/trace/metrics/error interceptor, shutdown."""

from __future__ import annotations

import asyncio
import functools
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
import structlog
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection

from services.kit import context as ctx
from services.kit import mesh_tokens
from services.kit.errors import Internal, MeshError, Unauthenticated, to_rich_status
from services.kit.grpc_client import MESSAGE_LIMITS
from services.kit.mesh_tokens import CredentialVerifier, MeshSecurity
from services.kit.metrics import observed_call
from services.kit.tracing import end_server_span, start_server_span

log = structlog.get_logger(__name__)

_GRPC_OPTIONS = [
    *MESSAGE_LIMITS,
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    # Clients reconnect every few minutes, so new replicas behind a Kubernetes Service get traffic.
    ("grpc.max_connection_age_ms", 300_000),
    ("grpc.max_connection_age_grace_ms", 600_000),
]


@dataclass(frozen=True)
class ServiceBinding:
    """One servicer to register: its full proto name, the generated add_* function and the instance."""

    name: str
    add_to_server: Callable[[Any, grpc.aio.Server], None]
    servicer: Any


@dataclass
class HealthRegistry:
    """The standard grpc.health.v1 servicer plus the names it reports on."""

    servicer: health_aio.HealthServicer = field(default_factory=health_aio.HealthServicer)
    names: list[str] = field(default_factory=list)

    async def set_all(self, serving: bool) -> None:
        """Report every registered name (and the empty overall name) as SERVING or NOT_SERVING."""
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ["", *self.names]:
            await self.servicer.set(name, status)


@dataclass(frozen=True)
class _Gate:
    """What a server checks on each call: a credential meant for one of its audiences."""

    verifier: CredentialVerifier
    audiences: frozenset[str]

    def bind(self, metadata: Sequence[tuple[str, str | bytes]] | None) -> None:
        """Bind the request id, then the principal of the call's verified credential; Unauthenticated without one."""
        values = {key: value for key, value in (metadata or ()) if isinstance(value, str)}
        request_id = values.get(ctx.REQUEST_ID_HEADER) or ctx.new_request_id()
        ctx.request_id_var.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        ctx.principal_var.set(None)
        mesh_tokens.credential_var.set(None)
        raw = values.get(mesh_tokens.CREDENTIAL_KEY)
        if not raw:
            raise Unauthenticated("the call carries no mesh credential", reason="invalid_credential")
        verified = self.verifier.verify(raw, audiences=self.audiences)
        ctx.principal_var.set(verified.principal)
        mesh_tokens.credential_var.set(verified)


async def _fail(context: grpc.aio.ServicerContext, error: BaseException, method: str) -> None:
    if isinstance(error, MeshError):
        mesh_error = error
        log.info("rpc_failed", method=method, reason=mesh_error.reason, code=mesh_error.code.name)
    else:
        log.exception("rpc_crashed", method=method)
        mesh_error = Internal("internal error", reason="internal_error")
    await context.abort_with_status(to_rich_status(mesh_error))


class MeshServerInterceptor(grpc.aio.ServerInterceptor):
    """Verifies each call's credential and binds its principal, traces, counts and logs each call, maps MeshError
    to rich status.

    Health and reflection stay open for probes and tooling.
    """

    def __init__(self, verifier: CredentialVerifier, *, audiences: frozenset[str]) -> None:
        self._gate = _Gate(verifier, audiences)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        if mesh_tokens.is_open(method):
            return handler
        metadata = handler_call_details.invocation_metadata
        bind = functools.partial(self._gate.bind, metadata)
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                _wrap_unary(handler.unary_unary, method, bind, metadata),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                _wrap_unary(handler.stream_unary, method, bind, metadata),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                _wrap_stream(handler.unary_stream, method, bind, metadata),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return grpc.stream_stream_rpc_method_handler(
            _wrap_stream(handler.stream_stream, method, bind, metadata),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def _wrap_unary(
    behavior: Callable[..., Any], method: str, bind: Callable[[], None], metadata: Sequence[tuple[str, Any]] | None
) -> Callable[..., Any]:
    async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
        started = time.perf_counter()
        span = start_server_span(method, metadata)
        failure: BaseException | None = None
        try:
            with observed_call(method):
                bind()
                response = await behavior(request, context)
        except asyncio.CancelledError as cancelled:
            failure = cancelled
            raise
        except Exception as error:
            failure = error
            await _fail(context, error, method)
            raise
        finally:
            end_server_span(span, failure)
        log.debug("rpc_ok", method=method, ms=round((time.perf_counter() - started) * 1000, 2))
        return response

    return wrapped


def _wrap_stream(
    behavior: Callable[..., Any], method: str, bind: Callable[[], None], metadata: Sequence[tuple[str, Any]] | None
) -> Callable[..., Any]:
    async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        started = time.perf_counter()
        span = start_server_span(method, metadata)
        failure: BaseException | None = None
        try:
            with observed_call(method):
                bind()
                async for item in behavior(request, context):
                    yield item
        except (asyncio.CancelledError, GeneratorExit) as cancelled:
            failure = cancelled
            log.info("rpc_cancelled", method=method)
            raise
        except Exception as error:
            failure = error
            await _fail(context, error, method)
            raise
        finally:
            end_server_span(span, failure)
        log.debug("rpc_stream_ok", method=method, ms=round((time.perf_counter() - started) * 1000, 2))

    return wrapped


def create_server(
    address: str,
    *,
    bindings: Sequence[ServiceBinding],
    health: HealthRegistry,
    interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
    security: MeshSecurity | None = None,
) -> tuple[grpc.aio.Server, int]:
    """Build a grpc.aio server with health and reflection; returns it with the bound port (":0" works).

    Calls must carry a mesh credential for the bindings' service (`chat` for meshconsole.chat.v1.*). `security`
    defaults to the process's own (mesh_tokens.installed()); with TLS in it the port requires client certificates.
    """
    security = security or mesh_tokens.installed()
    if security.verifier is None:
        raise ValueError("a gRPC server needs a credential verifier: MeshSecurity.for_service")
    audiences = frozenset(mesh_tokens.audience_of(binding.name) for binding in bindings)
    gate = MeshServerInterceptor(security.verifier, audiences=audiences)
    server = grpc.aio.server(interceptors=[gate, *interceptors], options=_GRPC_OPTIONS)
    for binding in bindings:
        binding.add_to_server(binding.servicer, server)
        health.names.append(binding.name)
    health_pb2_grpc.add_HealthServicer_to_server(health.servicer, server)
    service_names = [b.name for b in bindings]
    reflection.enable_server_reflection(
        [*service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
        server,
    )
    if security.tls is None:
        port = server.add_insecure_port(address)
    else:
        port = server.add_secure_port(address, security.tls.server_credentials())
    if port == 0:
        raise OSError(f"could not bind gRPC server to {address}")
    return server, port


def create_health_server(address: str, *, health: HealthRegistry) -> tuple[grpc.aio.Server, int]:
    """A plaintext server answering grpc.health.v1 alone, for probes that cannot present a client certificate."""
    server = grpc.aio.server(options=_GRPC_OPTIONS)
    health_pb2_grpc.add_HealthServicer_to_server(health.servicer, server)
    port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"could not bind the health server to {address}")
    return server, port


async def serve_until_signalled(
    server: grpc.aio.Server,
    *,
    health: HealthRegistry,
    grace_s: float,
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
) -> None:
    """Start, report SERVING, wait for SIGTERM/SIGINT, then drain: NOT_SERVING, finish in-flight, hooks."""
    await server.start()
    await health.set_all(serving=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    waiter = asyncio.ensure_future(server.wait_for_termination())
    signalled = asyncio.ensure_future(stop.wait())
    await asyncio.wait({waiter, signalled}, return_when=asyncio.FIRST_COMPLETED)
    log.info("shutting_down", grace_s=grace_s)
    await health.set_all(serving=False)
    await server.stop(grace_s)
    for hook in on_shutdown:
        try:
            await hook()
        except Exception:
            log.exception("shutdown_hook_failed")
    waiter.cancel()
    signalled.cancel()
    log.info("stopped")
