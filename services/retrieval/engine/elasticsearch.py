"""The Elasticsearch engine (official client, 8.x/9.x): one ES index per knowledge index.

Text is tokenized by the application (engine.tokenize) and indexed into a `tokens` field whose analyzer only
splits on whitespace and lowercases, so Elasticsearch's BM25 sees the same tokens as the embedded engine.
Vectors live in a `dense_vector` field (cosine); kNN scores are ES's (1 + cosine) / 2. One shard per index
keeps BM25 statistics per index, as the embedded engine keeps them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, ParamSpec, TypeVar

import numpy as np
from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout, HttpxAsyncHttpNode
from elasticsearch import AsyncElasticsearch, NotFoundError
from elasticsearch.helpers import async_bulk

from services.kit.errors import Unavailable
from services.retrieval.engine.base import ChunkDoc, EngineStats

_DOWN = (TransportConnectionError, ConnectionTimeout)
P = ParamSpec("P")
T = TypeVar("T")

_SETTINGS = {
    "number_of_shards": 1,
    "analysis": {"analyzer": {"mesh_tokens": {"type": "custom", "tokenizer": "whitespace", "filter": ["lowercase"]}}},
}


def mappings(dim: int) -> dict[str, Any]:
    """The index mappings: stored display fields, the BM25 token field and the kNN vector."""
    return {
        "_source": {"excludes": ["vector"]},
        "properties": {
            "id": {"type": "keyword"},
            "source_id": {"type": "keyword"},
            "position": {"type": "integer"},
            "title": {"type": "text", "index": False},
            "content": {"type": "text", "index": False},
            "tokens": {"type": "text", "analyzer": "mesh_tokens", "similarity": "BM25"},
            "filename": {"type": "keyword"},
            "source_type": {"type": "keyword"},
            "kind": {"type": "keyword"},
            "created_at": {"type": "double"},
            "metadata": {"type": "object", "enabled": False},
            "vector": {"type": "dense_vector", "dims": dim, "index": True, "similarity": "cosine"},
        },
    }


def _doc(source: dict[str, Any]) -> ChunkDoc:
    return ChunkDoc(
        id=str(source["id"]),
        source_id=str(source["source_id"]),
        position=int(source.get("position", 0)),
        content=str(source.get("content", "")),
        tokens=str(source.get("tokens", "")),
        title=str(source.get("title", "")),
        filename=str(source.get("filename", "")),
        source_type=str(source.get("source_type", "")),
        kind=str(source.get("kind", "chunk")),
        created_at=float(source.get("created_at", 0.0)),
        metadata=dict(source.get("metadata") or {}),
    )


def unavailable(error: Exception) -> Unavailable:
    """A transport failure (connection refused, timeout) as the mesh's UNAVAILABLE."""
    message = f"the search backend is unavailable: {type(error).__name__}"
    return Unavailable(message, reason="search_backend_unavailable")


def _guarded(method: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Transport failures leave the engine as UNAVAILABLE (the pipeline retries, callers get a 503)."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except _DOWN as error:
            raise unavailable(error) from None

    return wrapper


def _filter(source_ids: Sequence[str] | None) -> list[dict[str, Any]]:
    return [] if source_ids is None else [{"terms": {"source_id": list(source_ids)}}]


class ElasticsearchEngine:
    """Production engine; `prefix` namespaces the ES indices of this deployment."""

    name = "elasticsearch"

    def __init__(
        self,
        *,
        url: str,
        username: str = "",
        password: str = "",
        prefix: str = "mesh-",
        replicas: int = 0,
        timeout_s: float = 30.0,
        client: AsyncElasticsearch | None = None,
    ) -> None:
        self.prefix = prefix
        self.replicas = replicas
        self.client = client or AsyncElasticsearch(
            hosts=[url],
            basic_auth=(username, password) if username else None,
            request_timeout=timeout_s,
            node_class=HttpxAsyncHttpNode,
        )

    def _name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    async def open(self) -> None:
        """Nothing to load; the first request connects."""

    async def close(self) -> None:
        await self.client.close()

    async def healthy(self) -> bool:
        try:
            return bool(await self.client.ping())
        except Exception:
            return False

    @_guarded
    async def create_index(self, key: str, *, dim: int) -> None:
        name = self._name(key)
        if await self.client.indices.exists(index=name):
            return
        settings = dict(_SETTINGS, number_of_replicas=self.replicas)
        try:
            await self.client.indices.create(index=name, settings=settings, mappings=mappings(dim))
        except Exception as error:
            if "resource_already_exists" not in str(error):
                raise

    @_guarded
    async def drop_index(self, key: str) -> None:
        await self.client.indices.delete(index=self._name(key), ignore_unavailable=True)

    @_guarded
    async def write(self, key: str, chunks: Sequence[ChunkDoc], vectors: np.ndarray) -> None:
        if not chunks:
            return
        name = self._name(key)
        actions = [
            {
                "_op_type": "index",
                "_index": name,
                "_id": chunk.id,
                "id": chunk.id,
                "source_id": chunk.source_id,
                "position": chunk.position,
                "title": chunk.title,
                "content": chunk.content,
                "tokens": chunk.tokens,
                "filename": chunk.filename,
                "source_type": chunk.source_type,
                "kind": chunk.kind,
                "created_at": chunk.created_at,
                "metadata": chunk.metadata,
                "vector": vector.tolist(),
            }
            for chunk, vector in zip(chunks, vectors, strict=True)
        ]
        await async_bulk(self.client, actions, refresh="wait_for", raise_on_error=True)

    @_guarded
    async def delete_sources(self, key: str, source_ids: Sequence[str]) -> int:
        if not source_ids:
            return 0
        try:
            reply = await self.client.delete_by_query(
                index=self._name(key),
                query={"terms": {"source_id": list(source_ids)}},
                refresh=True,
                conflicts="proceed",
            )
        except NotFoundError:
            return 0
        return int(reply.get("deleted", 0))

    @_guarded
    async def lexical(
        self, key: str, terms: Sequence[str], *, top_k: int, source_ids: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        if not terms:
            return []
        query = {"bool": {"must": {"match": {"tokens": " ".join(terms)}}, "filter": _filter(source_ids)}}
        reply = await self.client.search(index=self._name(key), query=query, size=top_k, source=False)
        hits = [(str(h["_id"]), float(h["_score"])) for h in reply["hits"]["hits"]]
        return sorted(hits, key=lambda item: (-item[1], item[0]))

    @_guarded
    async def knn(
        self, key: str, vector: np.ndarray, *, top_k: int, source_ids: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        knn: dict[str, Any] = {
            "field": "vector",
            "query_vector": vector.astype(float).tolist(),
            "k": top_k,
            "num_candidates": min(10_000, max(100, top_k * 4)),
        }
        if source_ids is not None:
            knn["filter"] = _filter(source_ids)
        reply = await self.client.search(index=self._name(key), knn=knn, size=top_k, source=False)
        return [(str(h["_id"]), float(h["_score"])) for h in reply["hits"]["hits"]]

    @_guarded
    async def fetch(self, key: str, ids: Sequence[str]) -> dict[str, ChunkDoc]:
        if not ids:
            return {}
        reply = await self.client.mget(index=self._name(key), ids=list(ids))
        return {str(d["_id"]): _doc(d["_source"]) for d in reply["docs"] if d.get("found")}

    @_guarded
    async def chunks_of(self, key: str, source_id: str, *, limit: int) -> list[ChunkDoc]:
        reply = await self.client.search(
            index=self._name(key),
            query={"term": {"source_id": source_id}},
            size=limit,
            sort=[{"kind": "asc"}, {"position": "asc"}],
        )
        return [_doc(h["_source"]) for h in reply["hits"]["hits"]]

    @_guarded
    async def stats(self, key: str) -> EngineStats:
        name = self._name(key)
        try:
            count = await self.client.count(index=name)
        except NotFoundError:
            raise KeyError(f"index {key} does not exist") from None
        stats = await self.client.indices.stats(index=name, metric="store")
        size = stats["indices"].get(name, {}).get("primaries", {}).get("store", {}).get("size_in_bytes", 0)
        return EngineStats(docs=int(count["count"]), size_bytes=int(size))
