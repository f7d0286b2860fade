"""Search over one or more of the caller's indices: accurate (BM25), semantic (kNN) or hybrid (fused)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from services.kit.context import Principal
from services.kit.errors import InvalidArgument
from services.retrieval import metrics
from services.retrieval.engine.base import ChunkDoc, SearchEngine
from services.retrieval.engine.embeddings import Embedders
from services.retrieval.engine.fusion import Fused, fuse_rrf, fuse_weighted
from services.retrieval.engine.tokenize import query_terms
from services.retrieval.models import IndexRow
from services.retrieval.names import RESOURCES_INDEX, index_not_found, is_reserved
from services.retrieval.store import RetrievalStore

MODES = ("accurate", "semantic", "hybrid")
MAX_TOP_K = 200
MAX_WINDOW = 1000
Key = tuple[str, str]  # (index id, chunk id)
# The caller's own resource library may be searched by name (chat's search over a mini program's mounted files):
# the store scopes a reserved name to the caller's user, so it is never another user's. The training ground stays
# internal.
SEARCHABLE_RESERVED = (RESOURCES_INDEX,)


@dataclass(frozen=True)
class Hit:
    index: IndexRow
    chunk: ChunkDoc
    score: float
    accurate: float | None = None
    semantic: float | None = None


def window_for(top_k: int) -> int:
    """Candidates taken from each side before hybrid fusion."""
    return min(MAX_WINDOW, max(top_k * 10, 100))


class Searcher:
    """Runs the per-index engine queries and merges them."""

    def __init__(self, *, store: RetrievalStore, engine: SearchEngine, embedders: Embedders) -> None:
        self.store = store
        self.engine = engine
        self.embedders = embedders

    async def resolve(self, *, principal: Principal, names: Sequence[str], allow_reserved: bool) -> list[IndexRow]:
        """The caller's indices by name; any name the caller does not have is NOT_FOUND."""
        if not names:
            raise InvalidArgument("index_names must name at least one index", field="index_names")
        rows = []
        for name in dict.fromkeys(names):
            if is_reserved(name) and not allow_reserved and name not in SEARCHABLE_RESERVED:
                raise index_not_found(name)
            rows.append(await self.store.get_index(principal=principal, name=name))
        return rows

    async def _lexical(
        self, indices: Sequence[IndexRow], terms: list[str], k: int, sources: list[str] | None
    ) -> list[tuple[Key, float]]:
        results = await asyncio.gather(
            *(self.engine.lexical(i.id, terms, top_k=k, source_ids=sources) for i in indices)
        )
        merged = [((i.id, cid), s) for i, hits in zip(indices, results, strict=True) for cid, s in hits]
        return sorted(merged, key=lambda item: (-item[1], item[0]))[:k]

    async def _semantic(
        self, principal: Principal, indices: Sequence[IndexRow], query: str, k: int, sources: list[str] | None
    ) -> list[tuple[Key, float]]:
        vectors: dict[tuple[str, int], np.ndarray] = {}
        for index in indices:
            model = (index.embedding_model, index.embedding_dim)
            if model not in vectors:
                embedder = self.embedders.for_index(principal=principal, model=model[0], dim=model[1])
                vectors[model] = await embedder.query(query)
        results = await asyncio.gather(
            *(
                self.engine.knn(i.id, vectors[(i.embedding_model, i.embedding_dim)], top_k=k, source_ids=sources)
                for i in indices
            )
        )
        merged = [((i.id, cid), s) for i, hits in zip(indices, results, strict=True) for cid, s in hits]
        return sorted(merged, key=lambda item: (-item[1], item[0]))[:k]

    async def search(
        self,
        *,
        principal: Principal,
        index_names: Sequence[str],
        query: str,
        mode: str = "hybrid",
        top_k: int = 5,
        weight_accurate: float = 0.3,
        fusion: str = "normalize",
        score_threshold: float | None = None,
        source_ids: Sequence[str] | None = None,
        allow_reserved: bool = False,
    ) -> tuple[list[Hit], float]:
        """The best top_k chunks and the query time in ms."""
        started = time.perf_counter()
        if mode not in MODES:
            raise InvalidArgument(f"mode must be one of {', '.join(MODES)}", field="mode")
        if not query.strip():
            raise InvalidArgument("query must not be empty", field="query")
        if not 1 <= top_k <= MAX_TOP_K:
            raise InvalidArgument(f"top_k must be between 1 and {MAX_TOP_K}", field="top_k")
        if not 0.0 <= weight_accurate <= 1.0:
            raise InvalidArgument("weight_accurate must be between 0 and 1", field="weight_accurate")
        indices = await self.resolve(principal=principal, names=index_names, allow_reserved=allow_reserved)
        sources = list(source_ids) if source_ids is not None else None
        fused: list[Fused]
        if mode == "accurate":
            fused = [Fused(k, s, s, 0.0) for k, s in await self._lexical(indices, query_terms(query), top_k, sources)]
        elif mode == "semantic":
            fused = [Fused(k, s, 0.0, s) for k, s in await self._semantic(principal, indices, query, top_k, sources)]
        else:
            window = window_for(top_k)
            lexical, semantic = await asyncio.gather(
                self._lexical(indices, query_terms(query), window, sources),
                self._semantic(principal, indices, query, window, sources),
            )
            if fusion == "rrf":
                fused = fuse_rrf(lexical, semantic)
            else:
                fused = fuse_weighted(lexical, semantic, weight_accurate=weight_accurate)
        if score_threshold is not None:
            fused = [f for f in fused if f.score >= score_threshold]
        fused = fused[:top_k]
        hits = await self._hits(indices, fused, hybrid=mode == "hybrid")
        elapsed = (time.perf_counter() - started) * 1000
        await self.store.record_queries(index_ids=[i.id for i in indices], ms=elapsed)
        metrics.SEARCH_SECONDS.labels(mode).observe(elapsed / 1000)
        return hits, elapsed

    async def _hits(self, indices: Sequence[IndexRow], fused: Sequence[Fused], *, hybrid: bool) -> list[Hit]:
        by_id = {i.id: i for i in indices}
        wanted: dict[str, list[str]] = {}
        for item in fused:
            key: Key = item.key  # type: ignore[assignment]
            wanted.setdefault(key[0], []).append(key[1])
        docs: dict[Key, ChunkDoc] = {}
        for index_id, ids in wanted.items():
            for cid, doc in (await self.engine.fetch(index_id, ids)).items():
                docs[(index_id, cid)] = doc
        hits = []
        for item in fused:
            key = item.key  # type: ignore[assignment]
            if key in docs:
                hits.append(
                    Hit(
                        by_id[key[0]],
                        docs[key],
                        item.score,
                        item.accurate if hybrid else None,
                        item.semantic if hybrid else None,
                    )
                )
        return hits
