"""Files tasks and deletes: ingestion/transcription tasks wait in MESH_TASKS, deletes are crash-safe."""

from __future__ import annotations

from datetime import timedelta

import grpc
import orjson
import pytest
from meshconsole.files.v1 import files_pb2
from nats.js.errors import NotFoundError

from services.files.models import StoredObject
from services.files.store import PENDING, Ref
from services.kit.clock import utcnow
from services.kit.errors import from_rpc_error
from tests.service.files_support import ALICE, BOB, FilesEnv, files_fixture, md, put, read_all  # noqa: F401

WAV = b"RIFF" + (36).to_bytes(4, "little") + b"WAVEfmt " + b"\x10\x00\x00\x00\x01\x00\x01\x00" + b"\x00" * 40


async def _events(env: FilesEnv) -> list[dict[str, object]]:
    info = await env.js.stream_info("MESH_EVENTS")
    found: list[dict[str, object]] = []
    if not info.state.messages:
        return found
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            msg = await env.js.get_msg("MESH_EVENTS", seq)
        except NotFoundError:
            continue
        if msg.subject == "mesh.events.files.deleted":
            found.append(orjson.loads(msg.data or b"{}"))
    return found


async def _not_found(awaitable: object) -> bool:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await awaitable  # type: ignore[misc]
    return caught.value.code() == grpc.StatusCode.NOT_FOUND and from_rpc_error(caught.value).reason in (
        "file_not_found",
        "file_content_missing",
    )


async def test_ingest_task_waits_in_the_stream_with_its_payload(files: FilesEnv) -> None:
    info = await put(
        files,
        ALICE,
        b"# Title\nbody",
        name="kb.md",
        ingest=files_pb2.IngestIntent(index_name="my-index", chunking_strategy="by_title"),
    )
    assert len(info.ingest_task_id) == 32 and info.parse_status == "queued" and info.ingest_index_name == "my-index"
    msg = await files.js.get_last_msg("MESH_TASKS", "mesh.tasks.retrieval.ingest")
    assert orjson.loads(msg.data or b"") == {
        "task_id": info.ingest_task_id,
        "file_id": info.id,
        "index_name": "my-index",
        "chunking_strategy": "by_title",
        "user_id": ALICE.user_id,
        "company_id": ALICE.company_id,
        "source": "file",
    }
    assert (msg.headers or {}).get("Nats-Msg-Id") == info.ingest_task_id
    # The default index is the caller's resource library.
    second = await put(files, ALICE, b"text", name="r.txt", ingest=files_pb2.IngestIntent())
    last = orjson.loads((await files.js.get_last_msg("MESH_TASKS", "mesh.tasks.retrieval.ingest")).data or b"")
    assert last["index_name"] == "_mesh_resources" and last["task_id"] == second.ingest_task_id
    stream = await files.js.stream_info("MESH_TASKS")
    assert stream.state.messages == 2


async def test_transcription_task_is_queued_for_voice_only(files: FilesEnv) -> None:
    voice = await put(files, ALICE, WAV, name="memo.wav", kind=files_pb2.OBJECT_KIND_VOICE, transcribe=True)
    assert voice.format == "wav" and voice.kind == files_pb2.OBJECT_KIND_VOICE
    msg = await files.js.get_last_msg("MESH_TASKS", "mesh.tasks.voice.transcribe")
    payload = orjson.loads(msg.data or b"")
    assert payload["task_id"] == voice.transcribe_task_id and payload["file_id"] == voice.id
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await put(files, ALICE, b"not audio", name="memo.mp3", kind=files_pb2.OBJECT_KIND_VOICE, transcribe=True)
    assert from_rpc_error(caught.value).reason == "unsupported_type"


async def test_delete_removes_bytes_row_and_announces_it_idempotently(files: FilesEnv) -> None:
    mine = await put(files, ALICE, b"to delete", name="x.txt")
    keep = await put(files, ALICE, b"to keep", name="y.txt")
    theirs = await put(files, BOB, b"bob's", name="z.txt")
    row = await files.process.service.store.get(principal=ALICE, ref=Ref(id=int(mine.id)))
    token = (
        await files.stub.PresignUrl(
            files_pb2.PresignUrlRequest(ref=files_pb2.ObjectRef(id=mine.id)), metadata=md(ALICE)
        )
    ).url.rsplit("/", 1)[1]
    refs = [files_pb2.ObjectRef(id=i) for i in (mine.id, theirs.id, "999", "not-a-number")]
    reply = await files.stub.DeleteObjects(files_pb2.DeleteObjectsRequest(refs=refs), metadata=md(ALICE))
    assert (reply.deleted_count, list(reply.deleted_ids)) == (1, [mine.id])
    assert not await files.process.service.backend.exists(row.key)
    assert await _not_found(read_all(files, files_pb2.ReadObjectRequest(signed_token=token)))
    assert await _events(files) == [{"file_ids": [mine.id], "user_id": ALICE.user_id, "company_id": ALICE.company_id}]
    again = await files.stub.DeleteObjects(files_pb2.DeleteObjectsRequest(refs=refs[:1]), metadata=md(ALICE))
    assert again.deleted_count == 0
    for who, info in ((ALICE, keep), (BOB, theirs)):
        assert await read_all(files, files_pb2.ReadObjectRequest(ref=files_pb2.ObjectRef(id=info.id)), who)


async def test_a_crash_after_the_tombstone_serves_nothing_and_start_up_finishes_it(files: FilesEnv) -> None:
    info = await put(files, ALICE, b"half deleted", name="h.txt")
    service = files.process.service
    token = service.presign_row(
        await service.store.get(principal=ALICE, ref=Ref(id=int(info.id))),
        expires_s=600,
        download=False,
        public_base_url="",
    ).url.rsplit("/", 1)[1]
    # Step one only, then "crash": the row is a tombstone, the bytes are still there.
    [row] = await service.store.tombstone(principal=ALICE, refs=[Ref(id=int(info.id))])
    assert await service.backend.exists(row.key)
    ref = files_pb2.ObjectRef(id=info.id)
    assert await _not_found(files.stub.GetObject(files_pb2.GetObjectRequest(ref=ref), metadata=md(ALICE)))
    assert await _not_found(read_all(files, files_pb2.ReadObjectRequest(ref=ref), ALICE))
    assert await _not_found(read_all(files, files_pb2.ReadObjectRequest(signed_token=token)))
    assert await _not_found(files.stub.PresignUrl(files_pb2.PresignUrlRequest(ref=ref), metadata=md(ALICE)))
    listed = await files.stub.ListObjects(files_pb2.ListObjectsRequest(), metadata=md(ALICE))
    assert listed.page.total == 0
    assert await _events(files) == []
    await files.restart()
    assert not await files.process.service.backend.exists(row.key)
    assert await files.process.service.store.unfinished(pending_before=utcnow(), deleting_before=utcnow()) == []
    assert [e["file_ids"] for e in await _events(files)] == [[info.id]]


async def test_a_crash_after_the_bytes_went_still_announces_and_removes_the_row(files: FilesEnv) -> None:
    info = await put(files, ALICE, b"bytes gone", name="g.txt")
    service = files.process.service
    [row] = await service.store.tombstone(principal=ALICE, refs=[Ref(id=int(info.id))])
    await service.backend.delete(row.key)
    await files.restart()
    assert [e["file_ids"] for e in await _events(files)] == [[info.id]]
    assert await files.process.service.store.unfinished(pending_before=utcnow(), deleting_before=utcnow()) == []


async def test_a_stalled_upload_is_swept_without_an_event(files: FilesEnv) -> None:
    service = files.process.service
    key = "ab/cd/" + "e" * 32

    async def some_bytes():  # type: ignore[no-untyped-def]
        yield b"orphan"

    await service.backend.put(key, some_bytes())
    old = utcnow() - timedelta(hours=7)
    await service.store.add(
        row=StoredObject(
            id=42,
            user_id=ALICE.user_id,
            company_id=ALICE.company_id,
            key=key,
            object_name="a/42-o",
            name="o",
            folder="a",
            kind=1,
            state=PENDING,
            created_at=old,
        )
    )
    fresh = await put(files, ALICE, b"fresh", name="f.txt")
    assert await service.deleter.recover(stale_upload_s=6 * 3600) == 1
    assert not await service.backend.exists(key)
    assert await _events(files) == []
    assert await read_all(files, files_pb2.ReadObjectRequest(ref=files_pb2.ObjectRef(id=fresh.id)), ALICE) == b"fresh"
