"""Entry point: `python -m services.voice` (contract served; methods not built yet answer UNIMPLEMENTED)."""

from meshconsole.voice.v1 import voice_pb2, voice_pb2_grpc

from services.kit.service_main import run_contract_only


def main() -> None:
    run_contract_only(name="voice", service="VoiceService", pb2=voice_pb2, pb2_grpc=voice_pb2_grpc)


if __name__ == "__main__":
    main()
