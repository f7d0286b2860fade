"""The full engine contract against a real Elasticsearch started by pytest-docker; skipped without a Docker engine.

Besides the shared contract (lexical with Lucene's exact BM25, kNN, writes and deletes), it checks that both
engines return the same ids with the same scores for the same data.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from services.retrieval.engine.elasticsearch import ElasticsearchEngine
from services.retrieval.engine.embedded import EmbeddedEngine
from services.retrieval.engine.tokenize import query_terms
from tests.service.test_retrieval_engine import CHECKS, DIM, corpus, vectors_for

pytestmark = pytest.mark.timeout(600)
ES_IMAGE = "docker.elastic.co/elasticsearch/elasticsearch:8.15.3"
COMPOSE = f"""
services:
  elasticsearch:
    image: {ES_IMAGE}
    environment:
      discovery.type: single-node
      xpack.security.enabled: "false"
      ES_JAVA_OPTS: -Xms512m -Xmx512m
    ports:
      - "9200"
"""


def _docker_engine() -> str:
    """Why the suite cannot run here, or "" when a Docker engine answers."""
    if shutil.which("docker") is None:
        return "no docker CLI on this machine"
    probe = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30, check=False)
    return "" if probe.returncode == 0 else "no Docker engine answers (docker info failed)"


@pytest.fixture(scope="session")
def docker_compose_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("es") / "docker-compose.yml"
    path.write_text(COMPOSE)
    return str(path)


@pytest.fixture(scope="session")
def es_url(request: pytest.FixtureRequest) -> str:
    reason = _docker_engine()
    if reason:
        pytest.skip(f"real Elasticsearch suite skipped: {reason}")
    services = request.getfixturevalue("docker_services")
    port = services.port_for("elasticsearch", 9200)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{url}/_cluster/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    services.wait_until_responsive(check=up, timeout=300.0, pause=2.0)
    return url


@pytest_asyncio.fixture(loop_scope="session")
async def es(es_url: str) -> AsyncIterator[ElasticsearchEngine]:
    engine = ElasticsearchEngine(url=es_url, prefix=f"t{uuid.uuid4().hex[:8]}-")
    try:
        yield engine
    finally:
        await engine.close()


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
async def test_elasticsearch_contract(es: ElasticsearchEngine, check) -> None:  # type: ignore[no-untyped-def]
    await check(es)


async def test_both_engines_return_the_same_results(es: ElasticsearchEngine, tmp_path: Path) -> None:
    embedded = EmbeddedEngine(tmp_path)
    key = uuid.uuid4().hex
    docs, vectors = corpus()
    for engine in (es, embedded):
        await engine.create_index(key, dim=DIM)
        await engine.write(key, docs, vectors)
    for query in ("apple banana", "北京故宫", "cherry", "上海 外滩 城市"):
        ours = await embedded.lexical(key, query_terms(query), top_k=5)
        theirs = await es.lexical(key, query_terms(query), top_k=5)
        assert [h[0] for h in theirs] == [h[0] for h in ours]
        assert [s for _, s in theirs] == pytest.approx([s for _, s in ours], rel=1e-5)
    for chunk in "abcde":
        ours = await embedded.knn(key, vectors_for([chunk])[0], top_k=5)
        theirs = await es.knn(key, vectors_for([chunk])[0], top_k=5)
        assert [h[0] for h in theirs] == [h[0] for h in ours]
        assert [s for _, s in theirs] == pytest.approx([s for _, s in ours], rel=1e-4)
    await es.drop_index(key)
    await embedded.close()
