"""Task handlers: the intake records files' tasks, the runner parses, indexes and (for training) expands them.

States: WAITING -> PROCESSING (fetching and parsing) -> FORWARDING (chunking, embedding, indexing, expanding)
-> COMPLETED, or FAILED with the error. A failure the caller caused (object gone, unsupported format, a file
no text can be read from, bad index name) fails the task at once and is not redelivered; any other failure goes
back to WAITING with the error until JetStream's max_deliver, after which the dead letter marks it FAILED (also
when a worker died holding the last delivery).

Fairness: at most `company_workers` tasks of one company run at once. A task whose company has no free slot
within `defer_after_s` goes back to the end of the queue, so one company's hundred uploads cannot fill every
worker while another company's single document waits behind them.
"""

from __future__ import annotations

from typing import Any

import structlog

from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.errors import FailedPrecondition, InvalidArgument, NotFound
from services.kit.nats import PermanentFailure, Task
from services.retrieval.indexing import Indexer, SourceText, too_large
from services.retrieval.models import TaskRow
from services.retrieval.names import (
    COMPLETED,
    FAILED,
    FORWARDING,
    PROCESSING,
    RESOURCES_INDEX,
    TRAINING_INDEX,
    WAITING,
    check_name,
)
from services.retrieval.peers import ObjectText, Peers
from services.retrieval.pipeline.fair import CompanyGate
from services.retrieval.pipeline.queue import TaskQueue
from services.retrieval.pipeline.training import TrainingExpander
from services.retrieval.store import RetrievalStore, new_id

log = structlog.get_logger(__name__)
# results key of a task recorded before it can run, naming what it waits for ("transcript").
WAITING_FOR = "waiting_for"
_CALLER_ERRORS = (NotFound, InvalidArgument, FailedPrecondition)


def new_task(
    *,
    task_id: str = "",
    principal: Principal,
    index_name: str,
    source: str,
    source_type: str,
    strategy: str,
    object_id: str = "",
    file_name: str = "",
    params: dict[str, Any] | None = None,
) -> TaskRow:
    """A WAITING task row (kind "training" for the training ground)."""
    now = utcnow()
    return TaskRow(
        id=task_id or new_id(),
        user_id=principal.user_id,
        company_id=principal.company_id,
        kind="training" if index_name == TRAINING_INDEX else "ingest",
        index_name=index_name,
        source=source,
        source_type=source_type,
        chunking_strategy=strategy or "basic",
        additional_params=params or {},
        object_id=object_id,
        file_name=file_name,
        status=WAITING,
        error="",
        attempts=0,
        chunks_indexed=0,
        results={},
        created_at=now,
        updated_at=now,
    )


class Pipeline:
    """Handlers for the intake, run and dead-letter consumers."""

    def __init__(
        self,
        *,
        store: RetrievalStore,
        indexer: Indexer,
        peers: Peers | None,
        queue: TaskQueue,
        expander: TrainingExpander,
        max_deliver: int,
        company_workers: int = 1,
        defer_after_s: float = 2.0,
    ) -> None:
        self.store = store
        self.indexer = indexer
        self.peers = peers
        self.queue = queue
        self.expander = expander
        self.max_deliver = max_deliver
        self.gate = CompanyGate(limit=company_workers)
        self.defer_after_s = defer_after_s

    async def intake(self, task: Task) -> None:
        """Record a task files queued ({task_id, file_id, index_name, chunking_strategy, user_id, company_id}).

        With `awaiting` set, files only announces it (a voice upload whose transcript is pending): it is recorded
        WAITING with results {"waiting_for": awaiting} and runs when the real ingestion with that id arrives.
        """
        p = task.payload
        try:
            principal = Principal(user_id=int(p["user_id"]), company_id=int(p["company_id"]))
            task_id, file_id = str(p["task_id"]), str(p["file_id"])
        except (KeyError, TypeError, ValueError) as error:
            raise PermanentFailure(f"not an ingestion task: {error!r}") from error
        if not task_id or not file_id:
            raise PermanentFailure("task_id and file_id are required")
        fresh = new_task(
            task_id=task_id,
            principal=principal,
            index_name=str(p.get("index_name") or RESOURCES_INDEX),
            source=file_id,
            source_type="object",
            strategy=str(p.get("chunking_strategy") or "basic"),
            object_id=file_id,
        )
        awaiting = str(p.get("awaiting") or "")
        if awaiting:
            # Announced ahead of what it needs (a voice file's transcript): visible as WAITING, run only when
            # files publishes the ingestion itself under the same id.
            fresh.results = {WAITING_FOR: awaiting}
            await self.store.add_task(row=fresh)
            return
        row = await self.store.add_task(row=fresh)
        if row.results.get(WAITING_FOR):
            await self.store.update_task(task_id=row.id, changes={"results": {}})
        if row.status == WAITING and row.attempts == 0:
            await self.queue.run(row.id)

    async def run(self, task: Task) -> None:
        """Run one recorded task to COMPLETED or FAILED (or back to WAITING for a retry)."""
        task_id = str(task.payload.get("task_id") or "")
        row = await self.store.task(task_id=task_id) if task_id else None
        if row is None:
            raise PermanentFailure(f"unknown task {task_id!r}")
        if row.status in (COMPLETED, FAILED):
            return
        if not await self.gate.enter(row.company_id, wait_s=self.defer_after_s):
            await self.queue.defer(row.id)
            log.debug("task_deferred", task_id=row.id, company_id=row.company_id)
            return
        try:
            await self._run(row, delivery=task.delivery)
        finally:
            await self.gate.leave(row.company_id)

    async def _run(self, row: TaskRow, *, delivery: int) -> None:
        await self.store.update_task(task_id=row.id, changes={"status": PROCESSING, "attempts": row.attempts + 1})
        try:
            chunks, results = await self._work(row)
        except _CALLER_ERRORS as error:
            await self.store.update_task(task_id=row.id, changes={"status": FAILED, "error": error.message})
            log.info("task_failed", task_id=row.id, reason=error.reason)
            return
        except Exception as error:
            # A deferred task comes back as a new message, so the attempts recorded here count too.
            final = delivery >= self.max_deliver or row.attempts + 1 >= self.max_deliver
            await self.store.update_task(
                task_id=row.id, changes={"status": FAILED if final else WAITING, "error": str(error) or repr(error)}
            )
            if final and delivery < self.max_deliver:
                return  # out of attempts across deferrals: FAILED, nothing left to retry
            raise
        await self.store.update_task(
            task_id=row.id, changes={"status": COMPLETED, "error": "", "chunks_indexed": chunks, "results": results}
        )

    async def _work(self, row: TaskRow) -> tuple[int, dict[str, Any]]:
        principal = Principal(user_id=row.user_id, company_id=row.company_id)
        check_name(row.index_name, allow_reserved=True)
        source = await self._source(principal, row)
        if not source.text.strip():  # nothing to index: never "trained" with no text
            raise FailedPrecondition(f"no text could be read from {source.file_name or row.source}", reason="no_text")
        await self.store.update_task(task_id=row.id, changes={"status": FORWARDING, "file_name": source.file_name})
        index, _ = await self.indexer.ensure_index(principal=principal, name=row.index_name, allow_reserved=True)
        doc, skipped = await self.indexer.index_source(
            principal=principal, index=index, source=source, strategy=row.chunking_strategy, task_id=row.id
        )
        pairs = 0
        if row.kind == "training":
            fresh = await self.store.document(index_id=index.id, source_id=doc.source_id)
            pairs = await self.expander.expand(principal=principal, index=index, doc=fresh or doc)
        results = {
            "index_name": row.index_name,
            "source": source.source_id,
            "filename": source.file_name,
            "chunks": doc.chunks_count,
            "qa_pairs": pairs,
            "text_chars": len(source.text),
            "skipped": skipped,
        }
        return doc.chunks_count + pairs, results

    @staticmethod
    def _check_size(got: ObjectText, limit: int) -> None:
        """A document with more text than files extracted (its limit or ours) fails rather than half-indexed."""
        name = got.file_name or "the document"
        if len(got.text) > limit:
            raise too_large(chars=len(got.text), limit=limit, what=f"the text of {name}")
        if got.truncated:
            raise InvalidArgument(
                f"the text of {name} is longer than {len(got.text):,} characters, the most one document may have "
                "(MESH_RETRIEVAL_MAX_DOCUMENT_CHARS and files' MESH_FILES_EXTRACT_MAX_CHARS): split it into "
                "smaller documents",
                reason="document_too_large",
            )

    async def _source(self, principal: Principal, row: TaskRow) -> SourceText:
        limit = self.indexer.max_chars
        if row.source_type in ("object", ""):
            if self.peers is None:
                raise FailedPrecondition("files is not reachable from this worker", reason="files_unavailable")
            got = await self.peers.object_text(principal=principal, ref=row.object_id or row.source, max_chars=limit)
            self._check_size(got, limit)
            return SourceText(
                source_id=got.object_id,
                text=got.text,
                file_name=got.file_name,
                source_type="file",
                file_size=got.size,
                object_id=got.object_id,
            )
        if row.source_type == "url":
            if self.peers is None:
                raise FailedPrecondition("files is not reachable from this worker", reason="files_unavailable")
            got = await self.peers.url_text(principal=principal, url=row.source, max_chars=limit)
            self._check_size(got, limit)
            return SourceText(
                source_id=row.source, text=got.text, file_name=got.file_name, source_type="url", file_size=got.size
            )
        raise InvalidArgument(f"unknown source_type {row.source_type!r}", field="source_type")

    async def dead_letter(self, task: Task) -> None:
        """A run task JetStream gave up on: FAILED unless it finished meanwhile."""
        task_id = str(task.payload.get("task_id") or "")
        row = await self.store.task(task_id=task_id) if task_id else None
        if row is None or row.status == COMPLETED:
            return
        reason = task.headers.get("X-Dead-Letter-Reason", "dead_lettered")
        error = row.error or task.headers.get("X-Dead-Letter-Error", "")
        await self.store.update_task(
            task_id=row.id, changes={"status": FAILED, "error": f"gave up after retries ({reason}): {error}".strip()}
        )
