"""Entry point: `python -m services.meetings` (contract served; methods not built yet answer UNIMPLEMENTED)."""

from __future__ import annotations

from meshconsole.meetings.v1 import meetings_pb2, meetings_pb2_grpc

from services.kit.grpc_server import ServiceBinding
from services.kit.service_main import ServiceProcess, build_plain_service, run_service
from services.kit.settings import MeshSettings

SERVICE_NAME = meetings_pb2.DESCRIPTOR.services_by_name["MeetingsService"].full_name


def main() -> None:
    settings = MeshSettings()

    async def build(address: str) -> ServiceProcess:
        binding = ServiceBinding(
            SERVICE_NAME,
            meetings_pb2_grpc.add_MeetingsServiceServicer_to_server,
            meetings_pb2_grpc.MeetingsServiceServicer(),
        )
        return build_plain_service(address=address, bindings=[binding])

    run_service(name="meetings", settings=settings, build=build)


if __name__ == "__main__":
    main()
