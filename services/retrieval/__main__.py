"""Entry point: `python -m services.retrieval` (contract served; methods not built yet answer UNIMPLEMENTED)."""

from __future__ import annotations

from meshconsole.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc

from services.kit.grpc_server import ServiceBinding
from services.kit.service_main import ServiceProcess, build_plain_service, run_service
from services.kit.settings import MeshSettings

SERVICE_NAME = retrieval_pb2.DESCRIPTOR.services_by_name["RetrievalService"].full_name


def main() -> None:
    settings = MeshSettings()

    async def build(address: str) -> ServiceProcess:
        binding = ServiceBinding(
            SERVICE_NAME,
            retrieval_pb2_grpc.add_RetrievalServiceServicer_to_server,
            retrieval_pb2_grpc.RetrievalServiceServicer(),
        )
        return build_plain_service(address=address, bindings=[binding])

    run_service(name="retrieval", settings=settings, build=build)


if __name__ == "__main__":
    main()
