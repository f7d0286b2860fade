"""Entry point: `python -m services.chat`."""

from __future__ import annotations

import asyncio

from services.chat.app import build_chat
from services.chat.config import ChatSettings
from services.kit.service_main import ServiceProcess, run_service


def main() -> None:
    settings = ChatSettings()
    if settings.chat_uvloop:
        import uvloop  # uvicorn[standard] brings it; the streaming hot path spends less in the loop itself

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

    async def build(address: str) -> ServiceProcess:
        process, _ = await build_chat(settings, address=address)
        return process

    run_service(name="chat", settings=settings, build=build)


if __name__ == "__main__":
    main()
