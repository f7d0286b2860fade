"""The search-engine contract: every backend stores, filters, deletes and ranks the same data the same way.

The checks are plain functions so tests/infra runs them against Elasticsearch (and osmem-server) too.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pytest

from services.kit.errors import InvalidArgument
from services.retrieval.engine import bm25
from services.retrieval.engine.base import ChunkDoc, SearchEngine
from services.retrieval.engine.chunking import chunk_text
from services.retrieval.engine.embedded import EmbeddedEngine
from services.retrieval.engine.fusion import fuse_rrf, fuse_weighted, minmax
from services.retrieval.engine.tokenize import query_terms, tokenize

DIM = 8
TEXTS = {
    "a": ("s1", "apple banana apple"),
    "b": ("s1", "banana cherry"),
    "c": ("s2", "cherry date elder fig"),
    "d": ("s3", "中华人民共和国的首都是北京，北京有故宫。"),
    "e": ("s3", "上海是中国最大的城市，有外滩。"),
}


def vectors_for(ids: list[str]) -> np.ndarray:
    """Deterministic unit vectors: chunk i points mostly along axis i."""
    out = np.full((len(ids), DIM), 0.05, dtype=np.float32)
    for row, chunk in enumerate(ids):
        out[row, "abcde".index(chunk)] = 1.0
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def corpus() -> tuple[list[ChunkDoc], np.ndarray]:
    ids = list(TEXTS)
    docs = [
        ChunkDoc(
            id=i,
            source_id=s,
            position=n,
            content=t,
            tokens=" ".join(tokenize(t)),
            title=f"T{i}",
            filename=f"{s}.txt",
            source_type="file",
            created_at=1_700_000_000.0 + n,
            metadata={"n": n},
        )
        for n, (i, (s, t)) in enumerate(TEXTS.items())
    ]
    return docs, vectors_for(ids)


async def load(engine: SearchEngine) -> str:
    key = uuid.uuid4().hex
    await engine.create_index(key, dim=DIM)
    docs, vectors = corpus()
    await engine.write(key, docs, vectors)
    return key


async def check_lexical(engine: SearchEngine) -> None:
    key = await load(engine)
    hits = await engine.lexical(key, query_terms("apple banana"), top_k=5)
    assert [h[0] for h in hits] == ["a", "b"]
    # Lucene BM25 by hand: N=5, lengths 3,2,4,... avgdl over all five chunks.
    assert hits[0][1] == pytest.approx(_lucene("a", ["apple", "banana"]), rel=1e-4)
    chinese = await engine.lexical(key, query_terms("北京故宫"), top_k=5)
    assert chinese[0][0] == "d" and all(h[0] != "e" for h in chinese)
    filtered = await engine.lexical(key, query_terms("banana cherry"), top_k=5, source_ids=["s2"])
    assert [h[0] for h in filtered] == ["c"]
    assert await engine.lexical(key, query_terms("zzzz"), top_k=5) == []


def _lucene(chunk: str, terms: list[str]) -> float:
    docs, _ = corpus()
    token_lists = {d.id: d.tokens.split() for d in docs}
    avgdl = sum(len(t) for t in token_lists.values()) / len(docs)
    dfs = {t: sum(1 for tokens in token_lists.values() if t in tokens) for t in terms}
    tokens = token_lists[chunk]
    total = 0.0
    for term in terms:
        tf = tokens.count(term)
        idf = np.log(1 + (len(docs) - dfs[term] + 0.5) / (dfs[term] + 0.5))
        total += idf * tf / (tf + 1.2 * (0.25 + 0.75 * len(tokens) / avgdl))
    return float(total)


async def check_knn(engine: SearchEngine) -> None:
    key = await load(engine)
    query = vectors_for(["c"])[0]
    hits = await engine.knn(key, query, top_k=3)
    assert hits[0][0] == "c"
    assert hits[0][1] == pytest.approx(1.0, abs=1e-4)  # (1 + cosine) / 2 with cosine 1
    assert hits[1][1] < hits[0][1]
    filtered = await engine.knn(key, query, top_k=5, source_ids=["s1"])
    assert sorted(h[0] for h in filtered) == ["a", "b"]


async def check_writes_and_deletes(engine: SearchEngine) -> None:
    key = await load(engine)
    docs, vectors = corpus()
    await engine.write(key, docs[:2], vectors[:2])  # a redelivered batch: same ids, no duplicates
    assert (await engine.stats(key)).docs == 5
    fetched = await engine.fetch(key, ["a", "zz", "d"])
    assert set(fetched) == {"a", "d"} and fetched["d"].content == TEXTS["d"][1] and fetched["a"].metadata == {"n": 0}
    assert [c.id for c in await engine.chunks_of(key, "s1", limit=10)] == ["a", "b"]
    assert await engine.delete_sources(key, ["s1"]) == 2
    assert await engine.delete_sources(key, ["s1"]) == 0
    assert (await engine.stats(key)).docs == 3
    assert await engine.lexical(key, query_terms("apple"), top_k=5) == []
    assert all(h[0] not in ("a", "b") for h in await engine.knn(key, vectors_for(["a"])[0], top_k=5))
    await engine.drop_index(key)
    await engine.drop_index(key)


CHECKS = [check_lexical, check_knn, check_writes_and_deletes]


@pytest.fixture
async def embedded(tmp_path: Path) -> EmbeddedEngine:
    engine = EmbeddedEngine(tmp_path / "engine")
    await engine.open()
    return engine


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
async def test_embedded_contract(embedded: EmbeddedEngine, check) -> None:  # type: ignore[no-untyped-def]
    await check(embedded)
    await embedded.close()


async def test_embedded_reopens_from_disk(tmp_path: Path) -> None:
    engine = EmbeddedEngine(tmp_path)
    key = await load(engine)
    await engine.delete_sources(key, ["s2"])
    await engine.close()
    reopened = EmbeddedEngine(tmp_path)
    assert (await reopened.stats(key)).docs == 4
    assert [h[0] for h in await reopened.knn(key, vectors_for(["d"])[0], top_k=1)] == ["d"]
    assert (await reopened.lexical(key, query_terms("cherry"), top_k=5))[0][0] == "b"
    await reopened.close()


def test_length_norms_match_lucene() -> None:
    # SmallFloat.intToByte4 / byte4ToInt: exact below 24, then 3 significant bits.
    assert [bm25.quantized_length(n) for n in (1, 23, 24, 40, 100, 1000)] == [1, 23, 24, 40, 96, 984]


def test_tokenize_chinese_and_english() -> None:
    assert tokenize("Apple's iPhone-15") == ["apple", "s", "iphone", "15"]
    assert {"北京", "故宫"} <= set(tokenize("北京有故宫"))
    assert query_terms("apple APPLE 苹果") == ["apple", "苹果"]


def test_fusion() -> None:
    lexical = [("x", 10.0), ("y", 5.0), ("z", 0.0)]
    semantic = [("y", 0.9), ("w", 0.7)]
    assert minmax(lexical) == {"x": 1.0, "y": 0.5, "z": 0.0}
    fused = fuse_weighted(lexical, semantic, weight_accurate=0.3)
    assert fused[0].key == "y" and fused[0].score == pytest.approx(0.3 * 0.5 + 0.7 * 1.0)
    assert (fused[0].accurate, fused[0].semantic) == (0.5, 1.0)
    assert fuse_weighted(lexical, semantic, weight_accurate=1.0)[0].key == "x"
    rrf = fuse_rrf(lexical, semantic)
    assert rrf[0].key == "y" and rrf[0].score == pytest.approx(1 / 62 + 1 / 61)


def test_chunking_strategies() -> None:
    text = "# Intro\nFirst sentence. Second sentence.\n\n## Details\n" + "Detail number one is long enough. " * 20
    basic = chunk_text(text, strategy="basic", title="doc", size=120, overlap=20)
    assert len(basic) > 3 and all(len(p.text) <= 120 for p in basic) and {p.title for p in basic} == {"doc"}
    assert basic[1].text.startswith(basic[0].text[-20:].strip()[:5])  # the overlap carries the previous tail
    titled = chunk_text(text, strategy="by_title", size=120)
    assert titled[0].title == "Intro" and titled[0].text == "First sentence. Second sentence."
    assert {p.title for p in titled[1:]} == {"Intro / Details"}
    assert [p.text for p in chunk_text(text, strategy="none")] == [text.strip()]
    assert chunk_text("   ", strategy="basic") == []
    with pytest.raises(InvalidArgument) as caught:
        chunk_text(text, strategy="semantic")
    assert caught.value.field == "chunking_strategy"
