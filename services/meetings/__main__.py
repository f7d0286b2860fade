"""Entry point: `python -m services.meetings` (contract served; methods not built yet answer UNIMPLEMENTED)."""

from meshconsole.meetings.v1 import meetings_pb2, meetings_pb2_grpc

from services.kit.service_main import run_contract_only


def main() -> None:
    run_contract_only(name="meetings", service="MeetingsService", pb2=meetings_pb2, pb2_grpc=meetings_pb2_grpc)


if __name__ == "__main__":
    main()
