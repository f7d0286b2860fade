"""The Elasticsearch engine's lexical side against osmem-server (an in-memory OpenSearch-API emulator).

osmem speaks the index, bulk, search, mget, delete-by-query and stats APIs but has no `dense_vector` type and
its BM25 is not Lucene's to the last digit: here the index is created without the vector field, and rankings
(not exact scores) are compared with the embedded engine on the same data. The full suite, kNN and exact
scores included, runs against a real Elasticsearch in test_retrieval_es_docker.py.
A small proxy in front of osmem turns the client's `application/vnd.elasticsearch+json; compatible-with=N`
media types into plain JSON, which osmem refuses otherwise.
"""

from __future__ import annotations

import http.client
import re
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from elasticsearch import AsyncElasticsearch
from osmem_server import OsmemServer

from services.retrieval.engine.elasticsearch import _SETTINGS, ElasticsearchEngine, mappings
from services.retrieval.engine.embedded import EmbeddedEngine
from services.retrieval.engine.tokenize import query_terms
from tests.service.test_retrieval_engine import DIM, corpus

pytestmark = pytest.mark.timeout(120)
_VENDOR = re.compile(r"application/vnd\.elasticsearch\+(json|x-ndjson);\s*compatible-with=\d+")


def _proxy(target: str) -> tuple[ThreadingHTTPServer, str]:
    parts = urlsplit(target)

    class Handler(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: _VENDOR.sub(r"application/\1", v) for k, v in self.headers.items()}
            conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
            conn.request(self.command, self.path, body=body, headers=headers)
            reply = conn.getresponse()
            data = reply.read()
            self.send_response(reply.status)
            for key, value in reply.getheaders():
                if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def osmem_url() -> Iterator[str]:
    with OsmemServer.start(japanese=False) as server:
        proxy, url = _proxy(server.url)
        try:
            yield url
        finally:
            proxy.shutdown()


@pytest_asyncio.fixture(loop_scope="session")
async def engines(osmem_url: str, tmp_path: Path) -> AsyncIterator[tuple[ElasticsearchEngine, EmbeddedEngine, str]]:
    client = AsyncElasticsearch(hosts=[osmem_url], request_timeout=30, node_class="httpxasync")
    es = ElasticsearchEngine(url=osmem_url, client=client, prefix=f"t{uuid.uuid4().hex[:8]}-")
    embedded = EmbeddedEngine(tmp_path)
    key = uuid.uuid4().hex
    lexical_only = mappings(DIM)
    del lexical_only["properties"]["vector"]
    await client.indices.create(
        index=es._name(key), settings=dict(_SETTINGS, number_of_replicas=0), mappings=lexical_only
    )
    await embedded.create_index(key, dim=DIM)
    docs, vectors = corpus()
    for engine in (es, embedded):
        await engine.write(key, docs, vectors)
    try:
        yield es, embedded, key
    finally:
        await es.drop_index(key)
        await es.close()
        await embedded.close()


@pytest.mark.parametrize("query", ["apple banana", "banana cherry", "北京故宫", "上海 外滩", "cherry fig"])
async def test_lexical_rankings_match_the_embedded_engine(engines: tuple, query: str) -> None:  # type: ignore[type-arg]
    es, embedded, key = engines
    terms = query_terms(query)
    ours = await embedded.lexical(key, terms, top_k=5)
    theirs = await es.lexical(key, terms, top_k=5)
    assert ours and [h[0] for h in theirs] == [h[0] for h in ours]
    assert all(score > 0 for _, score in theirs)


async def test_filters_fetch_chunks_stats_and_deletes(engines: tuple) -> None:  # type: ignore[type-arg]
    es, _, key = engines
    assert [h[0] for h in await es.lexical(key, query_terms("banana cherry"), top_k=5, source_ids=["s2"])] == ["c"]
    fetched = await es.fetch(key, ["a", "missing", "d"])
    assert set(fetched) == {"a", "d"} and fetched["a"].metadata == {"n": 0} and fetched["d"].title == "Td"
    assert [c.id for c in await es.chunks_of(key, "s1", limit=10)] == ["a", "b"]
    assert (await es.stats(key)).docs == 5
    docs, vectors = corpus()
    await es.write(key, docs[:2], vectors[:2])  # same ids again: no duplicates
    assert (await es.stats(key)).docs == 5
    assert await es.delete_sources(key, ["s1"]) == 2
    assert (await es.stats(key)).docs == 3 and await es.lexical(key, query_terms("apple"), top_k=5) == []
    assert await es.healthy()
