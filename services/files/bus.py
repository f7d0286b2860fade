"""What files publishes on NATS: ingestion and transcription tasks, and files.deleted events."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Protocol

from nats.js import JetStreamContext

from services.files.models import StoredObject
from services.kit import nats as mesh_nats

TASKS_STREAM = "MESH_TASKS"
TASKS_SUBJECTS = ("mesh.tasks.>",)
INGEST_SUBJECT = "mesh.tasks.retrieval.ingest"
TRANSCRIBE_SUBJECT = "mesh.tasks.voice.transcribe"


def new_task_id() -> str:
    """Task ids are generated here; the consuming service records the task's state under the same id."""
    return uuid.uuid4().hex


def ingest_payload(row: StoredObject) -> dict[str, Any]:
    """The retrieval ingestion task of an object with an ingest intent (its index, strategy and owner)."""
    return {
        "task_id": row.ingest_task_id,
        "file_id": str(row.id),
        "index_name": row.ingest_index_name,
        "chunking_strategy": row.ingest_chunking or "basic",
        "user_id": row.user_id,
        "company_id": row.company_id,
        "source": "file",
    }


def announce_payload(row: StoredObject) -> dict[str, Any]:
    """The same ingestion task, told to retrieval ahead of its transcript: recorded as waiting, not run."""
    return {**ingest_payload(row), "awaiting": "transcript"}


def announce_msg_id(task_id: str) -> str:
    # Its own dedup id: the ingestion published after the transcript reuses the task id and must not be dropped.
    return f"{task_id}:announce"


class Bus(Protocol):
    async def task(self, *, subject: str, payload: Mapping[str, Any], task_id: str) -> None:
        """Queue a task on the work-queue stream, deduplicated by its id."""

    async def event(self, *, entity: str, verb: str, payload: Mapping[str, Any]) -> None:
        """Publish mesh.events.<entity>.<verb>; stored before this returns."""


class NatsBus:
    """Bus over JetStream: tasks wait in MESH_TASKS until their consumer exists, events go to MESH_EVENTS."""

    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def ensure_streams(self) -> None:
        """Create or update MESH_TASKS (work queue) and MESH_EVENTS."""
        await mesh_nats.ensure_tasks_stream(self.js)
        await mesh_nats.ensure_events_stream(self.js)

    async def task(self, *, subject: str, payload: Mapping[str, Any], task_id: str) -> None:
        await mesh_nats.publish_task(self.js, subject=subject, payload=payload, msg_id=task_id)

    async def event(self, *, entity: str, verb: str, payload: Mapping[str, Any]) -> None:
        await mesh_nats.publish_event(self.js, entity=entity, verb=verb, payload=payload)
