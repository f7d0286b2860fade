"""Entry point: `python -m services.files`."""

from __future__ import annotations

from services.files.app import build_files
from services.files.config import FilesSettings
from services.kit.service_main import ServiceProcess, run_service


def main() -> None:
    settings = FilesSettings()

    async def build(address: str) -> ServiceProcess:
        process = await build_files(settings, address=address)
        return ServiceProcess(
            server=process.server, port=process.port, health=process.health, on_shutdown=process.on_shutdown
        )

    run_service(name="files", settings=settings, build=build)


if __name__ == "__main__":
    main()
