"""The common `main` of a service process: settings, logs, traces, mesh security, server, serve until SIGTERM."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc

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

    asyncio.run(main())


def run_contract_only(*, name: str, service: str, pb2: Any, pb2_grpc: Any) -> None:
    """`main` of a service whose contract is served before its methods are built (they answer UNIMPLEMENTED)."""
    full_name = pb2.DESCRIPTOR.services_by_name[service].full_name
    binding = ServiceBinding(
        full_name, getattr(pb2_grpc, f"add_{service}Servicer_to_server"), getattr(pb2_grpc, f"{service}Servicer")()
    )

    async def build(address: str) -> ServiceProcess:
        return build_plain_service(address=address, bindings=[binding])

    run_service(name=name, settings=MeshSettings(), build=build)
