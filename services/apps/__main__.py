"""Entry point: `python -m services.apps` (contract served; methods not built yet answer UNIMPLEMENTED)."""

from __future__ import annotations

from meshconsole.apps.v1 import apps_pb2, apps_pb2_grpc

from services.kit.grpc_server import ServiceBinding
from services.kit.service_main import ServiceProcess, build_plain_service, run_service
from services.kit.settings import MeshSettings

SERVICE_NAME = apps_pb2.DESCRIPTOR.services_by_name["AppsService"].full_name


def main() -> None:
    settings = MeshSettings()

    async def build(address: str) -> ServiceProcess:
        binding = ServiceBinding(
            SERVICE_NAME, apps_pb2_grpc.add_AppsServiceServicer_to_server, apps_pb2_grpc.AppsServiceServicer()
        )
        return build_plain_service(address=address, bindings=[binding])

    run_service(name="apps", settings=settings, build=build)


if __name__ == "__main__":
    main()
