"""Entry point: `python -m services.identity`."""

from __future__ import annotations

from services.identity.app import build_identity
from services.identity.config import IdentitySettings
from services.kit.service_main import ServiceProcess, run_service


def main() -> None:
    settings = IdentitySettings()

    async def build(address: str) -> ServiceProcess:
        process = await build_identity(settings, address=address)
        return ServiceProcess(
            server=process.server, port=process.port, health=process.health, on_shutdown=process.on_shutdown
        )

    run_service(name="identity", settings=settings, build=build)


if __name__ == "__main__":
    main()
