"""The embedded engine: per index one SQLite file (chunks + FTS5 inverted index) and one memory-mapped vector file.

Lexical search takes its candidates from FTS5 (MATCH, ordered by bm25()) and rescores them with Lucene's BM25
(engine.bm25), because FTS5's bm25() uses another idf that differs from Elasticsearch's for common terms:
both engines then rank the same data the same way. kNN is exact: one matrix-vector product over the mapped
vectors, deleted rows masked.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from services.retrieval.engine import bm25
from services.retrieval.engine.base import ChunkDoc, EngineStats
from services.retrieval.engine.vectors import VectorFile

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks(
  rowid INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, source_id TEXT NOT NULL, position INTEGER NOT NULL,
  title TEXT NOT NULL, content TEXT NOT NULL, tokens TEXT NOT NULL, dl INTEGER NOT NULL, filename TEXT NOT NULL,
  source_type TEXT NOT NULL, kind TEXT NOT NULL, created_at REAL NOT NULL, metadata TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source_id, position);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
  tokens, content='chunks', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE IF NOT EXISTS vocab USING fts5vocab(fts, row);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
  INSERT INTO fts(rowid, tokens) VALUES (new.rowid, new.tokens); END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
  INSERT INTO fts(fts, rowid, tokens) VALUES ('delete', old.rowid, old.tokens); END;
"""
_COLUMNS = "id, source_id, position, title, content, tokens, filename, source_type, kind, created_at, metadata"


def _doc(row: Sequence[object]) -> ChunkDoc:
    return ChunkDoc(
        id=str(row[0]),
        source_id=str(row[1]),
        position=int(str(row[2])),
        title=str(row[3]),
        content=str(row[4]),
        tokens=str(row[5]),
        filename=str(row[6]),
        source_type=str(row[7]),
        kind=str(row[8]),
        created_at=float(str(row[9])),
        metadata=json.loads(str(row[10])),
    )


def _marks(n: int) -> str:
    return ",".join("?" * n)


class _Index:
    """One open index; every method runs in a worker thread under the index lock."""

    def __init__(self, directory: Path, *, dim: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.conn = sqlite3.connect(directory / "chunks.sqlite", check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(_SCHEMA)
        stored = self.conn.execute("SELECT value FROM meta WHERE key='dim'").fetchone()
        if stored is None:
            self.conn.execute("INSERT INTO meta(key, value) VALUES ('dim', ?)", (str(dim),))
        self.dim = int(stored[0]) if stored else dim
        self.vectors = VectorFile(directory / "vectors.f32", dim=self.dim)
        self.lock = threading.Lock()
        rowids = np.array([r[0] for r in self.conn.execute("SELECT rowid FROM chunks")], dtype=np.int64)
        top = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name='chunks'").fetchone()
        self.slots = int(top[0]) if top else 0
        self.live = np.zeros(max(self.slots, 1024), dtype=bool)
        self.live[rowids - 1] = True
        self.count, self.total_len = self._totals()

    def _totals(self) -> tuple[int, int]:
        count, total = self.conn.execute("SELECT count(*), coalesce(sum(dl), 0) FROM chunks").fetchone()
        return int(count), int(total)

    def _grow(self, slots: int) -> None:
        if slots > len(self.live):
            grown = np.zeros(max(slots, len(self.live) * 2), dtype=bool)
            grown[: len(self.live)] = self.live
            self.live = grown
        self.slots = max(self.slots, slots)

    def write(self, chunks: Sequence[ChunkDoc], vectors: np.ndarray) -> None:
        if vectors.shape[1] != self.dim:
            raise ValueError(f"vectors have {vectors.shape[1]} dimensions, the index {self.dim}")
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            ids = [c.id for c in chunks]
            old = [r[0] for r in cur.execute(f"SELECT rowid FROM chunks WHERE id IN ({_marks(len(ids))})", ids)]
            cur.execute(f"DELETE FROM chunks WHERE id IN ({_marks(len(ids))})", ids)
            slots = []
            for chunk in chunks:
                cur.execute(
                    f"INSERT INTO chunks({_COLUMNS}, dl) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        chunk.id,
                        chunk.source_id,
                        chunk.position,
                        chunk.title,
                        chunk.content,
                        chunk.tokens,
                        chunk.filename,
                        chunk.source_type,
                        chunk.kind,
                        chunk.created_at,
                        json.dumps(chunk.metadata, ensure_ascii=False),
                        len(chunk.tokens.split()),
                    ),
                )
                slots.append(int(cur.lastrowid or 0) - 1)
            slot_array = np.array(slots, dtype=np.int64)
            # Vectors first: a crash before COMMIT leaves unreferenced rows in the file, never rows without vectors.
            self.vectors.put(slot_array, vectors.astype(np.float32))
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        self._grow(int(slot_array.max()) + 1 if len(slots) else 0)
        if old:
            self.live[np.array(old, dtype=np.int64) - 1] = False
        self.live[slot_array] = True
        self.count, self.total_len = self._totals()

    def delete_sources(self, source_ids: Sequence[str]) -> int:
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        marks = _marks(len(source_ids))
        rows = [r[0] for r in cur.execute(f"SELECT rowid FROM chunks WHERE source_id IN ({marks})", list(source_ids))]
        cur.execute(f"DELETE FROM chunks WHERE source_id IN ({marks})", list(source_ids))
        cur.execute("COMMIT")
        if rows:
            self.live[np.array(rows, dtype=np.int64) - 1] = False
        self.count, self.total_len = self._totals()
        return len(rows)

    def _source_rows(self, source_ids: Sequence[str]) -> list[int]:
        sql = f"SELECT rowid FROM chunks WHERE source_id IN ({_marks(len(source_ids))})"
        return [r[0] for r in self.conn.execute(sql, list(source_ids))]

    def lexical(self, terms: Sequence[str], top_k: int, source_ids: Sequence[str] | None) -> list[tuple[str, float]]:
        if not terms or self.count == 0:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        pool = max(top_k * 4, 200)
        if source_ids is None:
            sql = "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts) LIMIT ?"
            params: list[object] = [match, pool]
        else:
            if not source_ids:
                return []
            sql = (
                "SELECT f.rowid FROM fts f JOIN chunks c ON c.rowid = f.rowid WHERE fts MATCH ? "
                f"AND c.source_id IN ({_marks(len(source_ids))}) ORDER BY bm25(fts) LIMIT ?"
            )
            params = [match, *source_ids, pool]
        rowids = [r[0] for r in self.conn.execute(sql, params)]
        if not rowids:
            return []
        doc_freqs = {}
        for term in terms:
            found = self.conn.execute("SELECT doc FROM vocab WHERE term = ?", (term,)).fetchone()
            if found:
                doc_freqs[term] = int(found[0])
        avgdl = self.total_len / self.count
        rows = self.conn.execute(f"SELECT id, tokens FROM chunks WHERE rowid IN ({_marks(len(rowids))})", rowids)
        scored = []
        for chunk_id, tokens in rows:
            words = tokens.split()
            scored.append(
                (
                    chunk_id,
                    bm25.score(
                        term_freqs=Counter(words),
                        length=len(words),
                        doc_freqs=doc_freqs,
                        doc_count=self.count,
                        avgdl=avgdl,
                    ),
                )
            )
        scored.sort(key=lambda item: (-item[1], item[0]))
        return scored[:top_k]

    def knn(self, vector: np.ndarray, top_k: int, source_ids: Sequence[str] | None) -> list[tuple[str, float]]:
        if self.count == 0:
            return []
        mask = self.live[: self.slots].copy()
        if source_ids is not None:
            allowed = np.zeros_like(mask)
            rows = self._source_rows(source_ids) if source_ids else []
            if rows:
                allowed[np.array(rows, dtype=np.int64) - 1] = True
            mask &= allowed
        available = int(mask.sum())
        if available == 0:
            return []
        scores = self.vectors.scores(vector, self.slots)
        scores[~mask] = -np.inf
        k = min(top_k, available)
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        rowids = [int(i) + 1 for i in best]
        ids = dict(self.conn.execute(f"SELECT rowid, id FROM chunks WHERE rowid IN ({_marks(len(rowids))})", rowids))
        return [(ids[r], float((1.0 + scores[r - 1]) / 2.0)) for r in rowids if r in ids]

    def fetch(self, ids: Sequence[str]) -> dict[str, ChunkDoc]:
        if not ids:
            return {}
        rows = self.conn.execute(f"SELECT {_COLUMNS} FROM chunks WHERE id IN ({_marks(len(ids))})", list(ids))
        return {str(r[0]): _doc(r) for r in rows}

    def chunks_of(self, source_id: str, limit: int) -> list[ChunkDoc]:
        sql = f"SELECT {_COLUMNS} FROM chunks WHERE source_id = ? ORDER BY kind, position LIMIT ?"
        return [_doc(r) for r in self.conn.execute(sql, (source_id, limit))]

    def stats(self) -> EngineStats:
        size = sum(p.stat().st_size for p in self.directory.iterdir() if p.is_file())
        return EngineStats(docs=self.count, size_bytes=size)

    def close(self) -> None:
        self.vectors.close()
        self.conn.close()


class EmbeddedEngine:
    """The default engine: nothing to run, data under <root>/<index key>/."""

    name = "embedded"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._open: dict[str, _Index] = {}
        self._guard = threading.Lock()

    async def open(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    async def close(self) -> None:
        with self._guard:
            for index in self._open.values():
                with index.lock:
                    index.close()
            self._open.clear()

    async def healthy(self) -> bool:
        return self.root.is_dir()

    def _index(self, key: str, dim: int = 0) -> _Index:
        with self._guard:
            index = self._open.get(key)
            if index is None:
                directory = self.root / key
                if not dim and not (directory / "chunks.sqlite").exists():
                    raise KeyError(f"index {key} does not exist")
                index = self._open[key] = _Index(directory, dim=dim)
            return index

    async def _run(self, key: str, method: str, *args: object) -> object:
        def call() -> object:
            index = self._index(key)
            with index.lock:
                return getattr(index, method)(*args)

        return await asyncio.to_thread(call)

    async def create_index(self, key: str, *, dim: int) -> None:
        await asyncio.to_thread(self._index, key, dim)

    async def drop_index(self, key: str) -> None:
        def drop() -> None:
            with self._guard:
                index = self._open.pop(key, None)
            if index is not None:
                with index.lock:
                    index.close()
            shutil.rmtree(self.root / key, ignore_errors=True)

        await asyncio.to_thread(drop)

    async def write(self, key: str, chunks: Sequence[ChunkDoc], vectors: np.ndarray) -> None:
        if chunks:
            await self._run(key, "write", list(chunks), vectors)

    async def delete_sources(self, key: str, source_ids: Sequence[str]) -> int:
        if not source_ids:
            return 0
        return int(str(await self._run(key, "delete_sources", list(source_ids))))

    async def lexical(
        self, key: str, terms: Sequence[str], *, top_k: int, source_ids: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        return list(await self._run(key, "lexical", list(terms), top_k, source_ids))  # type: ignore[call-overload]

    async def knn(
        self, key: str, vector: np.ndarray, *, top_k: int, source_ids: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        return list(await self._run(key, "knn", vector, top_k, source_ids))  # type: ignore[call-overload]

    async def fetch(self, key: str, ids: Sequence[str]) -> dict[str, ChunkDoc]:
        return dict(await self._run(key, "fetch", list(ids)))  # type: ignore[call-overload]

    async def chunks_of(self, key: str, source_id: str, *, limit: int) -> list[ChunkDoc]:
        return list(await self._run(key, "chunks_of", source_id, limit))  # type: ignore[call-overload]

    async def stats(self, key: str) -> EngineStats:
        result = await self._run(key, "stats")
        assert isinstance(result, EngineStats)
        return result
