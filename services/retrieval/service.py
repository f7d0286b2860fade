"""Index use cases: create, delete, list, info, documents given directly, deletes by source, health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog

from services.kit.context import Principal
from services.kit.errors import InvalidArgument
from services.retrieval.engine.base import ChunkDoc, EngineStats, SearchEngine
from services.retrieval.indexing import Indexer, SourceText, too_large
from services.retrieval.models import DocumentRow, IndexRow, TaskRow
from services.retrieval.names import COMPLETED, check_name, index_not_found, is_reserved, status_name
from services.retrieval.store import RetrievalStore

log = structlog.get_logger(__name__)
MAX_RESULTS = 1000
DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class IndexedFileView:
    document: DocumentRow
    status: str
    chunks: list[ChunkDoc] = field(default_factory=list)


@dataclass(frozen=True)
class IndexInfoView:
    index: IndexRow
    stats: EngineStats
    sources: int
    files: list[IndexedFileView]


class IndexService:
    """The indices domain; the servicer translates proto to these calls and back."""

    def __init__(
        self,
        *,
        store: RetrievalStore,
        engine: SearchEngine,
        indexer: Indexer,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    ) -> None:
        self.store = store
        self.engine = engine
        self.indexer = indexer
        self.max_request_bytes = max_request_bytes

    async def create_index(
        self, *, principal: Principal, name: str, dim: int = 0, model: str = "", app_id: str = ""
    ) -> tuple[IndexRow, bool]:
        """Create an index (idempotent for the same settings)."""
        return await self.indexer.ensure_index(principal=principal, name=name, dim=dim, model=model, app_id=app_id)

    async def drop(self, *, index: IndexRow) -> None:
        """Remove an index, its documents and tasks, then its chunks (a crash between leaves only unreachable data)."""
        await self.store.remove_index(index_id=index.id)
        await self.store.forget_tasks(
            company_id=index.company_id, index_name=index.name, user_id=index.scope_user or None
        )
        await self.engine.drop_index(index.id)
        log.info("index_dropped", index=index.name, company_id=index.company_id)

    async def delete_index(self, *, principal: Principal, name: str) -> None:
        """Delete one of the caller's company indices."""
        check_name(name)
        await self.drop(index=await self.store.get_index(principal=principal, name=name))

    async def list_indices(
        self, *, principal: Principal, pattern: str
    ) -> list[tuple[IndexRow, EngineStats | None, int]]:
        """(index, stats, sources) for the company's indices matching pattern."""
        rows = await self.store.list_indices(principal=principal, pattern=pattern or "*")
        out: list[tuple[IndexRow, EngineStats | None, int]] = []
        for row in rows:
            try:
                stats: EngineStats | None = await self.engine.stats(row.id)
            except KeyError:  # dropped meanwhile
                continue
            out.append((row, stats, len(await self.store.documents(index_id=row.id))))
        return out

    async def info(
        self, *, principal: Principal, name: str, include_files: bool, include_chunks: bool
    ) -> IndexInfoView:
        """Stats, and optionally the files with their latest task status and their chunks."""
        if is_reserved(name):
            raise index_not_found(name)
        index = await self.store.get_index(principal=principal, name=name)
        documents = await self.store.documents(index_id=index.id)
        files: list[IndexedFileView] = []
        if include_files:
            latest = await self._latest_status(principal, index.name)
            for doc in documents:
                chunks = []
                if include_chunks:
                    chunks = await self.engine.chunks_of(index.id, doc.source_id, limit=MAX_RESULTS)
                status = latest.get(doc.source_id) or ("COMPLETED" if doc.stage else "PROCESSING")
                files.append(IndexedFileView(doc, status, chunks))
            known = {d.source_id for d in documents}
            pending = await self.store.list_tasks(principal=principal, index_name=index.name, limit=MAX_RESULTS)
            for task in pending[0]:
                if _task_source(task) not in known and task.status != COMPLETED:
                    known.add(_task_source(task))
                    files.append(IndexedFileView(_pending_doc(task, index), status_name(task.status)))
        return IndexInfoView(index, await self.engine.stats(index.id), len(documents), files)

    async def _latest_status(self, principal: Principal, index_name: str) -> dict[str, str]:
        tasks, _ = await self.store.list_tasks(principal=principal, index_name=index_name, limit=MAX_RESULTS)
        latest: dict[str, str] = {}
        for task in tasks:  # newest first
            latest.setdefault(_task_source(task), status_name(task.status))
        return latest

    async def index_documents(
        self, *, principal: Principal, name: str, results: Sequence[SourceText], strategy: str, task_id: str = ""
    ) -> int:
        """Chunk, embed and index parsed results given directly; returns the chunks written."""
        if not results:
            raise InvalidArgument("results must not be empty", field="results")
        if len(results) > MAX_RESULTS:
            raise InvalidArgument(f"at most {MAX_RESULTS} results per call", field="results")
        limit, total_bytes = self.indexer.max_chars, 0
        for i, item in enumerate(results):
            if not item.source_id.strip():
                raise InvalidArgument("every result needs a source", field=f"results[{i}].source")
            if len(item.text) > limit:
                raise too_large(
                    chars=len(item.text), limit=limit, what=f"results[{i}].text", field=f"results[{i}].text"
                )
            total_bytes += len(item.text.encode())
        if total_bytes > self.max_request_bytes:
            raise InvalidArgument(
                f"the results' texts add up to {total_bytes:,} bytes; one call may send at most "
                f"{self.max_request_bytes:,} (MESH_RETRIEVAL_MAX_REQUEST_BYTES): send them in several calls",
                reason="document_too_large",
                field="results",
            )
        index, _ = await self.indexer.ensure_index(principal=principal, name=name)
        total = 0
        for item in results:
            doc, _ = await self.indexer.index_source(
                principal=principal, index=index, source=item, strategy=strategy, task_id=task_id
            )
            total += doc.chunks_count
        return total

    async def delete_documents(self, *, principal: Principal, name: str, path_or_url: str) -> int:
        """Remove one source's chunks from one index."""
        if not path_or_url.strip():
            raise InvalidArgument("path_or_url is required", field="path_or_url")
        check_name(name)
        index = await self.store.get_index(principal=principal, name=name)
        return await self.indexer.remove_sources(index=index, source_ids=[path_or_url])

    async def delete_by_source(self, *, company_id: int, source_ids: Sequence[str], user_id: int | None = None) -> int:
        """Remove these sources (or files objects) from every index of the company; idempotent."""
        if not source_ids:
            return 0
        found = await self.store.documents_by_source(company_id=company_id, source_ids=source_ids, user_id=user_id)
        removed = 0
        for doc, index in found:
            removed += await self.indexer.remove_sources(index=index, source_ids=[doc.source_id])
        return removed

    async def drop_app_indices(self, *, company_id: int, app_id: str) -> int:
        """Remove the indices private to a deleted app."""
        rows = await self.store.indices_of_app(company_id=company_id, app_id=app_id)
        for row in rows:
            await self.drop(index=row)
        return len(rows)

    async def health(self) -> tuple[bool, int]:
        """(backend connected, number of indices)."""
        return await self.engine.healthy(), await self.store.count_indices()


def _task_source(task: TaskRow) -> str:
    return task.object_id or task.source


def _pending_doc(task: TaskRow, index: IndexRow) -> DocumentRow:
    return DocumentRow(
        id=task.id,
        index_id=index.id,
        user_id=task.user_id,
        company_id=task.company_id,
        source_id=_task_source(task),
        object_id=task.object_id,
        file_name=task.file_name,
        file_size=0,
        source_type=task.source_type,
        sha256="",
        stage="",
        chunks_count=0,
        qa_count=0,
        task_id=task.id,
        created_at=task.created_at,
        updated_at=task.updated_at,
    )
