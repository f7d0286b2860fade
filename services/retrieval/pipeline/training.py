"""The "personalized token" pass: question-and-answer expansions of each chunk, written beside it (kind "qa")."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

import structlog

from services.kit.clock import utcnow
from services.kit.context import Principal
from services.retrieval.engine.base import ChunkDoc, SearchEngine, chunk_id
from services.retrieval.indexing import Indexer
from services.retrieval.models import DocumentRow, IndexRow
from services.retrieval.store import RetrievalStore

log = structlog.get_logger(__name__)
SYSTEM = (
    "You expand study material. Read the passage and write three to five question-and-answer pairs that it "
    "answers, in the passage's language. Write each pair as two lines: 'Q: <question>' then 'A: <answer>'."
)
_PAIR = re.compile(r"^\s*(?:Q|问|问题)\s*[:：]\s*(?P<q>.+?)\s*\n\s*(?:A|答|答案)\s*[:：]\s*(?P<a>.+?)\s*$", re.M)
Generate = Callable[[Principal, str], Awaitable[str]]
MAX_CHUNKS = 2000


def parse_pairs(text: str) -> list[tuple[str, str]]:
    """(question, answer) pairs written as Q:/A: lines (or 问:/答:)."""
    return [(m.group("q"), m.group("a")) for m in _PAIR.finditer(text)]


class TrainingExpander:
    """Asks the configured LLM (chat.Generate) for Q&A pairs per chunk and indexes them under the same source."""

    def __init__(
        self, *, store: RetrievalStore, engine: SearchEngine, indexer: Indexer, generate: Generate, concurrency: int
    ) -> None:
        self.store = store
        self.engine = engine
        self.indexer = indexer
        self.generate = generate
        self.concurrency = max(1, concurrency)

    async def expand(self, *, principal: Principal, index: IndexRow, doc: DocumentRow) -> int:
        """Write the expansions of one document; idempotent (same ids), skipped once the document is expanded."""
        if doc.stage == "expanded":
            return doc.qa_count
        stored = await self.engine.chunks_of(index.id, doc.source_id, limit=MAX_CHUNKS)
        chunks = [c for c in stored if c.kind == "chunk"]
        slots = asyncio.Semaphore(self.concurrency)

        async def one(chunk: ChunkDoc) -> list[ChunkDoc]:
            async with slots:
                answer = await self.generate(principal, f"Passage:\n{chunk.content}")
            out = []
            for j, (question, reply) in enumerate(parse_pairs(answer)):
                content = f"Q: {question}\nA: {reply}"
                position = chunk.position * 100 + j
                out.append(
                    ChunkDoc(
                        id=chunk_id(source_id=doc.source_id, sha256=doc.sha256, kind="qa", position=position),
                        source_id=doc.source_id,
                        position=position,
                        content=content,
                        tokens="",  # filled in by write_chunks, in the compute process
                        title=chunk.title,
                        filename=chunk.filename,
                        source_type=chunk.source_type,
                        kind="qa",
                        created_at=chunk.created_at,
                        metadata={**chunk.metadata, "expands": chunk.id},
                    )
                )
            return out

        expansions = [qa for group in await asyncio.gather(*(one(c) for c in chunks)) for qa in group]
        await self.indexer.write_chunks(principal=principal, index=index, chunks=expansions)
        await self.store.update_document(
            doc_id=doc.id, changes={"stage": "expanded", "qa_count": len(expansions), "updated_at": utcnow()}
        )
        log.info("training_expanded", source_id=doc.source_id, chunks=len(chunks), pairs=len(expansions))
        return len(expansions)
