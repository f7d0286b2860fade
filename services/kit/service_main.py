"""The common `main` of a service process: settings, logs, traces, mesh security, server, serve until SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
import structlog

from services.kit import mesh_tokens
from services.kit.grpc_server import (
    HealthRegistry,
    ServiceBinding,
    create_health_server,
    create_server,
    serve_until_signalled,
)
from services.kit.logging import configure_logging
from services.kit.mesh_tokens import MeshSecurity
from services.kit.metrics import serve_metrics
from services.kit.settings import MeshSettings
from services.kit.tracing import configure_tracing

log = structlog.get_logger(__name__)
LEFTOVER_TASKS_TIMEOUT_S = 5.0


def _describe(task: asyncio.Task[Any]) -> str:
    frames = task.get_stack(limit=3)
    where = " < ".join(f"{f.f_code.co_name}:{f.f_lineno}" for f in reversed(frames))
    return f"{task.get_name()} {where}"


async def cancel_leftover_tasks(*, timeout_s: float = LEFTOVER_TASKS_TIMEOUT_S) -> list[str]:
    """Cancel the tasks still running after shutdown and wait for them a while; those that would not end, named.

    asyncio.run would wait for them forever, and a process that never exits outlives its launcher.
    """
    current = asyncio.current_task()
    leftovers = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    for task in leftovers:
        task.cancel()
    if not leftovers:
        return []
    _, pending = await asyncio.wait(leftovers, timeout=timeout_s)
    stuck = [_describe(task) for task in pending]
    if stuck:
        log.error("tasks_ignored_cancellation", tasks=stuck)
    return stuck


def run_until_stopped(
    main: Callable[[], Awaitable[None]], *, leftover_timeout_s: float = LEFTOVER_TASKS_TIMEOUT_S
) -> None:
    """Run main on a new event loop, then close the loop without waiting on tasks that ignore cancellation."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    async def main_then_leftovers() -> None:
        try:
            await main()
        finally:
            await cancel_leftover_tasks(timeout_s=leftover_timeout_s)

    try:
        loop.run_until_complete(main_then_leftovers())
        with contextlib.suppress(Exception):
            loop.run_until_complete(asyncio.wait_for(loop.shutdown_asyncgens(), leftover_timeout_s))
    finally:
        asyncio.set_event_loop(None)
        loop.close()


@dataclass
class ServiceProcess:
    """What a service's build step returns: an unstarted server and what to close on shutdown."""

    server: grpc.aio.Server
    port: int
    health: HealthRegistry
    on_shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


def build_plain_service(*, address: str, bindings: Sequence[ServiceBinding]) -> ServiceProcess:
    """A server for a contract whose methods are not built yet: it reports SERVING, RPCs say UNIMPLEMENTED."""
    health = HealthRegistry()
    server, port = create_server(address, bindings=bindings, health=health)
    return ServiceProcess(server=server, port=port, health=health)


def run_service(
    *,
    name: str,
    settings: MeshSettings,
    build: Callable[[str], Awaitable[ServiceProcess]],
) -> None:
    """Configure logging and mesh security, build the service on MESH_GRPC_BIND_HOST:MESH_GRPC_PORT, serve, drain."""
    configure_logging(service=name, level=settings.log_level, log_format=settings.log_format)
    configure_tracing(name)  # exports over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set
    # Before build: the service's server and its channels to peers use the process's security.
    mesh_tokens.install(MeshSecurity.for_service(name, settings))
    serve_metrics(port=settings.metrics_port, host=settings.grpc_bind_host)

    async def main() -> None:
        process = await build(f"{settings.grpc_bind_host}:{settings.grpc_port}")
        hooks = list(process.on_shutdown)
        if settings.grpc_health_port:
            probes, _ = create_health_server(
                f"{settings.grpc_bind_host}:{settings.grpc_health_port}", health=process.health
            )
            await probes.start()
            hooks.append(lambda: probes.stop(0))
        await serve_until_signalled(
            process.server,
            health=process.health,
            grace_s=settings.shutdown_grace_s,
            on_shutdown=hooks,
        )

    run_until_stopped(main)


def run_contract_only(*, name: str, service: str, pb2: Any, pb2_grpc: Any) -> None:
    """`main` of a service whose contract is served before its methods are built (they answer UNIMPLEMENTED)."""
    full_name = pb2.DESCRIPTOR.services_by_name[service].full_name
    binding = ServiceBinding(
        full_name, getattr(pb2_grpc, f"add_{service}Servicer_to_server"), getattr(pb2_grpc, f"{service}Servicer")()
    )

    async def build(address: str) -> ServiceProcess:
        return build_plain_service(address=address, bindings=[binding])

    run_service(name=name, settings=MeshSettings(), build=build)
