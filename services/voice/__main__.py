"""Entry point: `python -m services.voice` (contract served; methods not built yet answer UNIMPLEMENTED)."""

from __future__ import annotations

from meshconsole.voice.v1 import voice_pb2, voice_pb2_grpc

from services.kit.grpc_server import ServiceBinding
from services.kit.service_main import ServiceProcess, build_plain_service, run_service
from services.kit.settings import MeshSettings

SERVICE_NAME = voice_pb2.DESCRIPTOR.services_by_name["VoiceService"].full_name


def main() -> None:
    settings = MeshSettings()

    async def build(address: str) -> ServiceProcess:
        binding = ServiceBinding(
            SERVICE_NAME,
            voice_pb2_grpc.add_VoiceServiceServicer_to_server,
            voice_pb2_grpc.VoiceServiceServicer(),
        )
        return build_plain_service(address=address, bindings=[binding])

    run_service(name="voice", settings=settings, build=build)


if __name__ == "__main__":
    main()
