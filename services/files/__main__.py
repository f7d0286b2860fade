"""Entry point: `python -m services.files` (contract served; methods not built yet answer UNIMPLEMENTED)."""

from __future__ import annotations

from meshconsole.files.v1 import files_pb2, files_pb2_grpc

from services.kit.grpc_server import ServiceBinding
from services.kit.service_main import ServiceProcess, build_plain_service, run_service
from services.kit.settings import MeshSettings

SERVICE_NAME = files_pb2.DESCRIPTOR.services_by_name["FilesService"].full_name


def main() -> None:
    settings = MeshSettings()

    async def build(address: str) -> ServiceProcess:
        binding = ServiceBinding(
            SERVICE_NAME,
            files_pb2_grpc.add_FilesServiceServicer_to_server,
            files_pb2_grpc.FilesServiceServicer(),
        )
        return build_plain_service(address=address, bindings=[binding])

    run_service(name="files", settings=settings, build=build)


if __name__ == "__main__":
    main()
