"""Entry point: `python -m services.chat` (contract served; methods not built yet answer UNIMPLEMENTED)."""

from __future__ import annotations

from meshconsole.chat.v1 import chat_pb2, chat_pb2_grpc

from services.kit.grpc_server import ServiceBinding
from services.kit.service_main import ServiceProcess, build_plain_service, run_service
from services.kit.settings import MeshSettings

SERVICE_NAME = chat_pb2.DESCRIPTOR.services_by_name["ChatService"].full_name


def main() -> None:
    settings = MeshSettings()

    async def build(address: str) -> ServiceProcess:
        binding = ServiceBinding(
            SERVICE_NAME, chat_pb2_grpc.add_ChatServiceServicer_to_server, chat_pb2_grpc.ChatServiceServicer()
        )
        return build_plain_service(address=address, bindings=[binding])

    run_service(name="chat", settings=settings, build=build)


if __name__ == "__main__":
    main()
