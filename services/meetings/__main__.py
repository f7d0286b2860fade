"""Entry point: `python -m services.meetings`."""

from __future__ import annotations

from services.kit.service_main import ServiceProcess, run_service
from services.meetings.app import build_meetings
from services.meetings.config import MeetingsSettings


def main() -> None:
    settings = MeetingsSettings()

    async def build(address: str) -> ServiceProcess:
        process = await build_meetings(settings, address=address)
        return ServiceProcess(
            server=process.server, port=process.port, health=process.health, on_shutdown=process.on_shutdown
        )

    run_service(name="meetings", settings=settings, build=build)


if __name__ == "__main__":
    main()
