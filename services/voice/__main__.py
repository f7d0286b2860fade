"""Entry point: `python -m services.voice`."""

from __future__ import annotations

from services.kit.service_main import ServiceProcess, run_service
from services.voice.app import build_voice
from services.voice.config import VoiceSettings


def main() -> None:
    settings = VoiceSettings()

    async def build(address: str) -> ServiceProcess:
        process = await build_voice(settings, address=address)
        return ServiceProcess(
            server=process.server, port=process.port, health=process.health, on_shutdown=process.on_shutdown
        )

    run_service(name="voice", settings=settings, build=build)


if __name__ == "__main__":
    main()
