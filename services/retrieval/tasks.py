"""Task use cases: Nexent tasks, the lbai training ground and NextConsole rebuilds; the work runs on JetStream."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from services.kit.context import Principal
from services.kit.errors import FailedPrecondition, InvalidArgument, NotFound
from services.retrieval.engine.chunking import check_strategy
from services.retrieval.models import TaskRow
from services.retrieval.names import ACTIVE, COMPLETED, FAILED, RESOURCES_INDEX, TRAINING_INDEX, WAITING, check_name
from services.retrieval.pipeline.queue import TaskQueue
from services.retrieval.pipeline.worker import new_task
from services.retrieval.service import IndexService
from services.retrieval.store import RetrievalStore

MAX_BATCH = 100
SOURCE_TYPES = {"": "object", "object": "object", "file": "object", "minio": "object", "url": "url"}


@dataclass(frozen=True)
class TaskSpec:
    source: str
    source_type: str = ""
    chunking_strategy: str = ""
    index_name: str = ""
    params: dict[str, Any] = field(default_factory=dict)


class TaskService:
    """Records tasks in the DB and queues them for the workers."""

    def __init__(self, *, store: RetrievalStore, queue: TaskQueue, indices: IndexService, intake_wait_s: float) -> None:
        self.store = store
        self.queue = queue
        self.indices = indices
        self.intake_wait_s = intake_wait_s

    def _row(self, principal: Principal, spec: TaskSpec, i: int | None) -> TaskRow:
        where = f"sources[{i}]." if i is not None else ""
        source = spec.source.strip()
        if not source:
            raise InvalidArgument("source is required", field=f"{where}source")
        kind = SOURCE_TYPES.get(spec.source_type.strip().lower())
        if kind is None:
            raise InvalidArgument("source_type must be file, object or url", field=f"{where}source_type")
        if kind == "url" and not source.startswith(("http://", "https://")):
            raise InvalidArgument("a url source must be an http(s) URL", field=f"{where}source")
        try:
            strategy = check_strategy(spec.chunking_strategy)
            name = check_name(spec.index_name)
        except InvalidArgument as error:
            raise InvalidArgument(error.message, reason=error.reason, field=f"{where}{error.field}") from None
        return new_task(
            principal=principal,
            index_name=name,
            source=source,
            source_type=kind,
            strategy=strategy,
            object_id=source if kind == "object" and source.isdigit() else "",
            params=spec.params,
        )

    async def _queue(self, rows: Sequence[TaskRow]) -> list[str]:
        for row in rows:
            await self.store.add_task(row=row)
            await self.queue.run(row.id)
        return [row.id for row in rows]

    async def create(self, *, principal: Principal, specs: Sequence[TaskSpec], batch: bool = False) -> list[str]:
        """Validate every source first, then record and queue them all; returns the task ids."""
        if not specs:
            raise InvalidArgument("sources must not be empty", field="sources")
        if len(specs) > MAX_BATCH:
            raise InvalidArgument(f"at most {MAX_BATCH} sources per batch", field="sources")
        rows = [self._row(principal, spec, i if batch else None) for i, spec in enumerate(specs)]
        return await self._queue(rows)

    async def get(self, *, principal: Principal, task_id: str) -> TaskRow:
        """A visible task; one files has just queued is waited for while the intake records it."""
        try:
            return await self.store.visible_task(principal=principal, task_id=task_id)
        except NotFound:
            await self.queue.wait_for_intake(timeout_s=self.intake_wait_s)
            return await self.store.visible_task(principal=principal, task_id=task_id)

    async def list_tasks(
        self, *, principal: Principal, index_name: str, status: int, page: int, limit: int
    ) -> tuple[list[TaskRow], int]:
        """Visible tasks, newest first."""
        if page < 1 or not 1 <= limit <= 1000:
            raise InvalidArgument("page must be at least 1 and limit between 1 and 1000", field="limit")
        return await self.store.list_tasks(
            principal=principal, index_name=index_name, statuses=[status] if status else [], page=page, limit=limit
        )

    async def index_tasks(self, *, principal: Principal, index_name: str, active_only: bool) -> list[TaskRow]:
        """The latest task per source of one of the company's indices (only active ones when asked)."""
        check_name(index_name)  # the index itself may not exist yet: the first task creates it
        rows, _ = await self.store.list_tasks(principal=principal, index_name=index_name, limit=1000)
        latest: dict[str, TaskRow] = {}
        for row in rows:
            latest.setdefault(row.object_id or row.source, row)
        return [r for r in latest.values() if not active_only or r.status in ACTIVE]

    # ---- lbai training ground ----
    async def add_training(self, *, principal: Principal, object_id: str, file_name: str) -> TaskRow:
        """Queue ingestion (and the Q&A pass) of an uploaded object into the caller's training index."""
        if not object_id.isdigit():
            raise InvalidArgument("object_id must be a files object id", field="object_id")
        row = new_task(
            principal=principal,
            index_name=TRAINING_INDEX,
            source=object_id,
            source_type="object",
            strategy="basic",
            object_id=object_id,
            file_name=file_name,
        )
        await self._queue([row])
        return row

    async def list_training(
        self, *, principal: Principal, results_only: bool, page: int, limit: int
    ) -> tuple[list[TaskRow], int]:
        """The caller's training tasks (only completed ones for the results view)."""
        if page < 1 or not 1 <= limit <= 100:
            raise InvalidArgument("pageNum must be at least 1 and pageSize between 1 and 100", field="pageSize")
        return await self.store.list_tasks(
            principal=principal,
            kind="training",
            own_only=True,
            statuses=[COMPLETED] if results_only else [],
            page=page,
            limit=limit,
        )

    async def retry_training(self, *, principal: Principal, task_id: str) -> TaskRow:
        """Re-queue a FAILED training task; any other state is FAILED_PRECONDITION training_not_failed."""
        row = await self.store.visible_task(principal=principal, task_id=task_id)
        if row.kind != "training" or row.user_id != principal.user_id:
            raise NotFound("training task not found", reason="task_not_found", field="fileId")
        if row.status != FAILED:
            raise FailedPrecondition(
                "only failed training tasks can be retried; this one is "
                + {WAITING: "waiting", COMPLETED: "done"}.get(row.status, "training"),
                reason="training_not_failed",
                field="fileId",
            )
        await self.store.update_task(task_id=row.id, changes={"status": WAITING, "error": ""})
        await self.queue.run(row.id, attempt=row.attempts)
        row.status, row.error = WAITING, ""
        return row

    # ---- NextConsole resource library ----
    async def rebuild_resources(self, *, principal: Principal, resource_ids: Sequence[str]) -> int:
        """Clear the resources' vectors and queue a fresh ingestion of each; returns how many were queued."""
        ids = list(dict.fromkeys(str(r).strip() for r in resource_ids))
        if not ids or any(not r.isdigit() for r in ids):
            raise InvalidArgument("resource_list must be a non-empty list of resource ids", field="resource_list")
        index = await self.store.find_index(principal=principal, name=RESOURCES_INDEX)
        if index is not None:
            await self.indices.indexer.remove_sources(index=index, source_ids=ids)
        rows = [
            new_task(
                principal=principal,
                index_name=RESOURCES_INDEX,
                source=r,
                source_type="object",
                strategy="basic",
                object_id=r,
            )
            for r in ids
        ]
        await self._queue(rows)
        return len(rows)
