"""Running generation tasks and their stop signals: `stop` is published on NATS so any replica can act."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from nats.aio.client import Client

from services.kit import nats as mesh_nats

log = structlog.get_logger(__name__)
STOP_SUBJECT = "mesh.control.chat.stop"


class TaskRegistry:
    """task_id -> stop event for the generations running in this process."""

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Event] = {}
        self._nc: Client | None = None

    async def attach(self, nc: Client) -> None:
        """Listen for stop requests from every gateway and replica."""
        self._nc = nc
        await mesh_nats.subscribe_traced(nc, f"{STOP_SUBJECT}.*", self._on_stop, consumer="chat-stop")

    async def _on_stop(self, msg: Any) -> None:
        task_id = msg.subject.rsplit(".", 1)[-1]
        event = self._running.get(task_id)
        if event is not None:
            event.set()
            log.info("generation_stop_received", task_id=task_id)

    def register(self, task_id: str) -> asyncio.Event:
        event = asyncio.Event()
        self._running[task_id] = event
        return event

    def finish(self, task_id: str) -> None:
        self._running.pop(task_id, None)

    def is_running_here(self, task_id: str) -> bool:
        return task_id in self._running

    async def request_stop(self, task_id: str) -> None:
        """Ask whichever replica runs the task to stop it."""
        local = self._running.get(task_id)
        if local is not None:
            local.set()
        if self._nc is not None:
            await mesh_nats.publish_signal(self._nc, f"{STOP_SUBJECT}.{task_id}")
            await self._nc.flush()
