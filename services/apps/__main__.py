"""Entry point: `python -m services.apps`."""

from __future__ import annotations

from services.apps.app import build_apps
from services.apps.config import AppsSettings
from services.kit.service_main import ServiceProcess, run_service


def main() -> None:
    settings = AppsSettings()

    async def build(address: str) -> ServiceProcess:
        process = await build_apps(settings, address=address)
        return ServiceProcess(
            server=process.server, port=process.port, health=process.health, on_shutdown=process.on_shutdown
        )

    run_service(name="apps", settings=settings, build=build)


if __name__ == "__main__":
    main()
