"""What every search engine stores and answers: chunks with tokens and vectors, lexical and kNN candidates."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

# Lucene's BM25 defaults; the embedded engine computes exactly Lucene's formula so both engines agree.
BM25_K1 = 1.2
BM25_B = 0.75


@dataclass(frozen=True)
class ChunkDoc:
    """One indexed piece of a source: text for display, tokens for BM25 (space-joined), and where it came from."""

    id: str
    source_id: str
    position: int
    content: str
    tokens: str
    title: str = ""
    filename: str = ""
    source_type: str = ""
    kind: str = "chunk"  # "chunk", or "qa" for training expansions
    created_at: float = 0.0  # unix seconds
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EngineStats:
    docs: int
    size_bytes: int


def chunk_id(*, source_id: str, sha256: str, kind: str, position: int) -> str:
    """Deterministic chunk id: a redelivered task writes the same ids, so it never duplicates chunks."""
    raw = f"{source_id}\0{sha256}\0{kind}\0{position}".encode()
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


class SearchEngine(Protocol):
    """One physical index per knowledge index, addressed by its internal key."""

    name: str

    async def open(self) -> None:
        """Connect or load what the engine needs."""

    async def close(self) -> None:
        """Release connections and files."""

    async def healthy(self) -> bool:
        """Whether the backend answers."""

    async def create_index(self, key: str, *, dim: int) -> None:
        """Create the physical index (idempotent)."""

    async def drop_index(self, key: str) -> None:
        """Remove the physical index and everything in it (idempotent)."""

    async def write(self, key: str, chunks: Sequence[ChunkDoc], vectors: np.ndarray) -> None:
        """Upsert chunks with their L2-normalised vectors (same order)."""

    async def delete_sources(self, key: str, source_ids: Sequence[str]) -> int:
        """Remove every chunk of these sources; returns how many went."""

    async def lexical(
        self, key: str, terms: Sequence[str], *, top_k: int, source_ids: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, Lucene BM25 score), best first."""

    async def knn(
        self, key: str, vector: np.ndarray, *, top_k: int, source_ids: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, (1 + cosine) / 2), best first."""

    async def fetch(self, key: str, ids: Sequence[str]) -> dict[str, ChunkDoc]:
        """Stored chunks by id (missing ids are left out)."""

    async def chunks_of(self, key: str, source_id: str, *, limit: int) -> list[ChunkDoc]:
        """A source's chunks in position order."""

    async def stats(self, key: str) -> EngineStats:
        """Chunk count and storage size (KeyError when the index does not exist)."""
