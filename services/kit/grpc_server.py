"""grpc.aio server bootstrap: health, reflection, context/logging/error interceptor, graceful shutdown."""

from __future__ import annotations

import asyncio
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
from services.kit.errors import Internal, MeshError, to_rich_status

log = structlog.get_logger(__name__)

_QUIET_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")
_GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", 32 * 1024 * 1024),
    ("grpc.max_send_message_length", 32 * 1024 * 1024),
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


def _bind_context(metadata: Sequence[tuple[str, str | bytes]] | None) -> None:
    values = {key: value for key, value in (metadata or ()) if isinstance(value, str)}
    request_id = values.get(ctx.REQUEST_ID_HEADER) or ctx.new_request_id()
    ctx.request_id_var.set(request_id)
    user_id = values.get(ctx.USER_ID_KEY)
    if user_id and user_id.lstrip("-").isdigit():
        roles = tuple(r for r in values.get(ctx.ROLES_KEY, "").split(",") if r)
        ctx.principal_var.set(
            ctx.Principal(
                user_id=int(user_id),
                company_id=int(values.get(ctx.COMPANY_ID_KEY, "0") or 0),
                roles=roles,
                kind=values.get(ctx.PRINCIPAL_KIND_KEY, "token"),
            )
        )
    else:
        ctx.principal_var.set(None)
    structlog.contextvars.bind_contextvars(request_id=request_id)


async def _fail(context: grpc.aio.ServicerContext, error: BaseException, method: str) -> None:
    if isinstance(error, MeshError):
        mesh_error = error
        log.info("rpc_failed", method=method, reason=mesh_error.reason, code=mesh_error.code.name)
    else:
        log.exception("rpc_crashed", method=method)
        mesh_error = Internal("internal error", reason="internal_error")
    await context.abort_with_status(to_rich_status(mesh_error))


class MeshServerInterceptor(grpc.aio.ServerInterceptor):
    """Binds request id and principal from metadata, logs each call, maps MeshError to rich status."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        if method.startswith(_QUIET_PREFIXES):
            return handler
        metadata = handler_call_details.invocation_metadata
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                _wrap_unary(handler.unary_unary, method, metadata),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                _wrap_unary(handler.stream_unary, method, metadata),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                _wrap_stream(handler.unary_stream, method, metadata),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return grpc.stream_stream_rpc_method_handler(
            _wrap_stream(handler.stream_stream, method, metadata),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def _wrap_unary(behavior: Callable[..., Any], method: str, metadata: Any) -> Callable[..., Any]:
    async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
        _bind_context(metadata)
        started = time.perf_counter()
        try:
            response = await behavior(request, context)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            await _fail(context, error, method)
            raise
        log.debug("rpc_ok", method=method, ms=round((time.perf_counter() - started) * 1000, 2))
        return response

    return wrapped


def _wrap_stream(behavior: Callable[..., Any], method: str, metadata: Any) -> Callable[..., Any]:
    async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        _bind_context(metadata)
        started = time.perf_counter()
        try:
            async for item in behavior(request, context):
                yield item
        except asyncio.CancelledError:
            log.info("rpc_cancelled", method=method)
            raise
        except Exception as error:
            await _fail(context, error, method)
            raise
        log.debug("rpc_stream_ok", method=method, ms=round((time.perf_counter() - started) * 1000, 2))

    return wrapped


def create_server(
    address: str,
    *,
    bindings: Sequence[ServiceBinding],
    health: HealthRegistry,
    interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
) -> tuple[grpc.aio.Server, int]:
    """Build a grpc.aio server with health and reflection; returns it with the bound port (":0" works)."""
    server = grpc.aio.server(interceptors=[MeshServerInterceptor(), *interceptors], options=_GRPC_OPTIONS)
    for binding in bindings:
        binding.add_to_server(binding.servicer, server)
        health.names.append(binding.name)
    health_pb2_grpc.add_HealthServicer_to_server(health.servicer, server)
    service_names = [b.name for b in bindings]
    reflection.enable_server_reflection(
        [*service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
        server,
    )
    port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"could not bind gRPC server to {address}")
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
