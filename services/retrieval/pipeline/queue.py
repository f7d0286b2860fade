"""Subjects and the task queue: files' ingest tasks are recorded by an intake, then run from a second subject.

Files publishes `mesh.tasks.retrieval.ingest` and returns the task id to its caller at once. The intake
consumer only records the task as WAITING and hands it to `mesh.tasks.retrieval.run`, so it keeps up however
busy the workers are; GetTask on an id it has not recorded yet waits for the intake to catch up (everything
published before the call has been recorded once the intake consumer has nothing pending).
"""

from __future__ import annotations

import asyncio
import time

import nats.errors
from nats.js import JetStreamContext

from services.kit import nats as mesh_nats

TASKS_STREAM = "MESH_TASKS"
TASKS_SUBJECTS = ("mesh.tasks.>",)
INGEST_SUBJECT = "mesh.tasks.retrieval.ingest"
RUN_SUBJECT = "mesh.tasks.retrieval.run"
INTAKE_DURABLE = "retrieval_intake"
RUN_DURABLE = "retrieval_run"
INTAKE_DLQ = f"{mesh_nats.DLQ_PREFIX}{TASKS_STREAM}.{INTAKE_DURABLE}"
RUN_DLQ = f"{mesh_nats.DLQ_PREFIX}{TASKS_STREAM}.{RUN_DURABLE}"


class TaskQueue:
    """Publishes runnable tasks and answers whether the intake has recorded everything published so far."""

    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def ensure_streams(self) -> None:
        """MESH_TASKS (shared with files and voice: same config), MESH_EVENTS and MESH_DLQ."""
        await mesh_nats.ensure_stream(self.js, name=TASKS_STREAM, subjects=list(TASKS_SUBJECTS))
        await mesh_nats.ensure_events_stream(self.js)
        await mesh_nats.ensure_dlq_stream(self.js)

    async def run(self, task_id: str, *, attempt: int = 0) -> None:
        """Queue a recorded task for a worker; the same (task, attempt) is published at most once."""
        await mesh_nats.publish_task(
            self.js, subject=RUN_SUBJECT, payload={"task_id": task_id}, msg_id=f"run:{task_id}:{attempt}"
        )

    async def defer(self, task_id: str) -> None:
        """Queue a task again at the end, behind other companies' work (no dedup id: each deferral is new)."""
        await mesh_nats.publish_task(self.js, subject=RUN_SUBJECT, payload={"task_id": task_id})

    async def intake_idle(self) -> bool:
        try:
            info = await self.js.consumer_info(TASKS_STREAM, INTAKE_DURABLE)
        except nats.errors.Error:
            return True
        return not info.num_pending and not info.num_ack_pending

    async def wait_for_intake(self, *, timeout_s: float) -> None:
        """Return once the intake has recorded every task published before the call (or after timeout_s)."""
        deadline = time.monotonic() + timeout_s
        for _ in range(int(timeout_s / 0.05) + 1):
            if time.monotonic() >= deadline or await self.intake_idle():
                return
            await asyncio.sleep(0.05)
