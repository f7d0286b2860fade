"""Entry point: `python -m services.retrieval`."""

from __future__ import annotations

from services.kit.service_main import ServiceProcess, run_service
from services.retrieval.app import build_retrieval
from services.retrieval.config import RetrievalSettings


def main() -> None:
    settings = RetrievalSettings()

    async def build(address: str) -> ServiceProcess:
        process = await build_retrieval(settings, address=address)
        return ServiceProcess(
            server=process.server, port=process.port, health=process.health, on_shutdown=process.on_shutdown
        )

    run_service(name="retrieval", settings=settings, build=build)


if __name__ == "__main__":
    main()
