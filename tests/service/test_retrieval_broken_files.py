"""Broken documents end as FAILED ingestion tasks with a readable reason, at once, and never reach the index."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from meshconsole.files.v1 import files_pb2
from meshconsole.retrieval.v1 import retrieval_pb2

from services.files.store import Ref
from services.kit.testing.servers import NatsServer
from tests.service.files_support import ALICE, FilesEnv, put, start_files
from tests.service.test_files_extract_generators import DAMAGED_PDF, garbled_pdf, half, reportlab_pdf
from tests.service.test_retrieval_service import Env, retrieval_settings, running_env

R = retrieval_pb2
GOOD_PDF = reportlab_pdf("Lighthouses guide ships past the reef at night.", "灯塔在夜里指引船只绕过暗礁。")


@pytest_asyncio.fixture(loop_scope="session", name="env")
async def env_fixture(tmp_path: Path, nats_server: NatsServer) -> AsyncIterator[Env]:
    files = await start_files(tmp_path / "files", f"sqlite+aiosqlite:///{tmp_path / 'files.db'}", nats_server)
    settings = retrieval_settings(tmp_path, nats_server, files)  # 3 deliveries, backoff 0.2 s then 0.5 s
    async with running_env(files, settings) as env:
        yield env


async def _upload(env: Env, name: str, data: bytes) -> files_pb2.ObjectInfo:
    return await put(env.files, ALICE, data, name, ingest=files_pb2.IngestIntent(index_name="docs"))


async def _replace_stored_bytes(files: FilesEnv, object_id: str, data: bytes) -> None:
    """Put good bytes under the object's storage key, as restoring a damaged copy from a backup would."""
    service = files.process.service
    row = await service.store.get(principal=ALICE, ref=Ref(id=int(object_id)))

    async def chunks() -> AsyncIterator[bytes]:
        yield data

    await service.backend.put(row.key, chunks())


async def _hits(env: Env, query: str) -> list[str]:
    try:
        reply = await env.call(
            "Search", R.SearchRequest(index_names=["docs"], query=query, mode=R.SEARCH_MODE_ACCURATE)
        )
    except grpc.aio.AioRpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND  # no document made it into the index yet
        return []
    return [hit.content for hit in reply.results]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("cut.pdf", half(GOOD_PDF), DAMAGED_PDF),
        ("glyphs.pdf", garbled_pdf(), "no readable text could be read from the PDF"),
        ("blank.txt", b" \n\t\n", "no text could be read from blank.txt"),
    ],
)
async def test_a_broken_file_fails_its_task_at_once_with_the_reason(
    env: Env, name: str, data: bytes, message: str
) -> None:
    info = await _upload(env, name, data)
    task = await env.wait_task(info.ingest_task_id)
    assert task.status == R.TASK_STATUS_FAILED and task.error.startswith(message), task.error
    await asyncio.sleep(1.5)  # longer than every backoff: a redelivery would have run by now
    again = await env.call("GetTask", R.GetTaskRequest(task_id=task.id))
    assert again.status == R.TASK_STATUS_FAILED and again.attempts == 1 and again.error == task.error
    listed = await env.call("ListIndexTasks", R.ListIndexTasksRequest(index_name="docs"))
    assert [(f.path_or_url, f.status) for f in listed.files] == [(info.id, R.TASK_STATUS_FAILED)]
    assert await _hits(env, "cid") == []


async def test_a_repaired_file_is_indexed_by_a_new_task_for_the_same_object(env: Env) -> None:
    info = await _upload(env, "lighthouse.pdf", half(GOOD_PDF))
    failed = await env.wait_task(info.ingest_task_id)
    assert (failed.status, failed.error) == (R.TASK_STATUS_FAILED, DAMAGED_PDF)
    await _replace_stored_bytes(env.files, info.id, GOOD_PDF)
    created = await env.call("CreateTask", R.CreateTaskRequest(source=R.TaskSource(source=info.id, index_name="docs")))
    done = await env.wait_task(created.id)
    assert done.status == R.TASK_STATUS_COMPLETED and done.chunks_indexed >= 1, done.error
    hits = await _hits(env, "lighthouses reef")
    assert hits and "Lighthouses guide ships past the reef" in hits[0] and "灯塔" in hits[0]


async def test_retrying_a_training_task_whose_file_is_still_broken_fails_again_with_the_reason(env: Env) -> None:
    info = await put(env.files, ALICE, half(GOOD_PDF), "training.pdf")
    added = await env.call("AddTraining", R.AddTrainingRequest(object_id=info.id, file_name=info.name))

    async def settled() -> retrieval_pb2.TrainingItem:
        for _ in range(300):
            listed = await env.call("ListTraining", R.ListTrainingRequest(view=R.TRAINING_VIEW_MANAGE))
            item = next(i for i in listed.items if i.file_id == added.file_id)
            if item.status in (R.TASK_STATUS_COMPLETED, R.TASK_STATUS_FAILED):
                return item
            await asyncio.sleep(0.1)
        raise AssertionError("the training task never settled")

    first = await settled()
    assert (first.status, first.error) == (R.TASK_STATUS_FAILED, DAMAGED_PDF)
    retried = await env.call("RetryTraining", R.RetryTrainingRequest(file_id=added.file_id))
    assert retried.status == R.TASK_STATUS_WAIT_FOR_PROCESSING and not retried.error
    second = await settled()
    assert (second.status, second.error) == (R.TASK_STATUS_FAILED, DAMAGED_PDF)
    task = await env.call("GetTask", R.GetTaskRequest(task_id=added.file_id))
    assert task.attempts == 2  # one run per request: the broken file is never redelivered on its own
