"""The files servicer in-process: uploads, sniffing, limits, tenancy, names, listing and presigned URLs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
from meshconsole.common.v1 import common_pb2
from meshconsole.files.v1 import files_pb2

from services.files.adapters.local import DOWNLOAD_PATH
from services.kit.errors import from_rpc_error
from tests.service.files_support import (  # noqa: F401 - fixtures
    ACME_KEY,
    ALICE,
    BOB,
    CAROL,
    FilesEnv,
    files_fixture,
    md,
    put,
    read_all,
    sha,
)

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 64


async def _fails(awaitable: object) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await awaitable  # type: ignore[misc]
    return caught.value.code(), from_rpc_error(caught.value).reason


def _ref(info: files_pb2.ObjectInfo) -> files_pb2.ObjectRef:
    return files_pb2.ObjectRef(id=info.id)


async def _rows(env: FilesEnv) -> int:
    from sqlalchemy import text

    from services.kit.db import create_engine

    engine = create_engine(env.settings.database_url_for("files"))
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text("SELECT count(*) FROM objects"))).scalar_one())
    finally:
        await engine.dispose()


async def _keys(env: FilesEnv) -> list[str]:
    return [key async for key in env.process.service.backend.keys()]


async def test_upload_round_trip_keeps_bytes_and_sniffs_the_type(files: FilesEnv) -> None:
    data = b"%PDF-1.4\n" + bytes(range(256)) * 900  # crosses several chunks
    info = await put(files, ALICE, data, name="report.txt", content_type="text/plain", folder="docs")
    assert info.size == len(data) and info.sha256 == sha(data)
    assert info.content_type == "application/pdf" and info.format == "pdf"  # the client's claim is ignored
    assert info.object_name == f"docs/{info.id}-report.txt" and info.name == "report.txt"
    assert int(info.id) < 2**53 and info.kind == files_pb2.OBJECT_KIND_FILE
    back = await read_all(files, files_pb2.ReadObjectRequest(ref=_ref(info)), ALICE)
    assert sha(back) == sha(data)
    part = await read_all(files, files_pb2.ReadObjectRequest(ref=_ref(info), offset=10, length=100), ALICE)
    assert part == data[10:110]


async def test_auto_kind_becomes_image_and_image_kind_refuses_other_bytes(files: FilesEnv) -> None:
    info = await put(files, ALICE, PNG, name="photo.pdf")
    assert (info.kind, info.content_type, info.format) == (files_pb2.OBJECT_KIND_IMAGE, "image/png", "png")
    code, reason = await _fails(put(files, ALICE, b"just text", name="x.png", kind=files_pb2.OBJECT_KIND_IMAGE))
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "unsupported_type")
    code, reason = await _fails(put(files, ALICE, b"ID3" + b"\x00" * 5, name="a.mp3", kind=files_pb2.OBJECT_KIND_IMAGE))
    assert reason == "unsupported_type"
    assert await _rows(files) == 1 and len(await _keys(files)) == 1


async def test_allowed_formats_refuse_other_bytes_naming_the_callers_field_and_keep_nothing(files: FilesEnv) -> None:
    refused = put(
        files, ALICE, PNG, name="photo.pdf", allowed_formats=["pdf", "txt"], unsupported_field="multipartFile"
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await refused
    error = from_rpc_error(caught.value)
    assert (caught.value.code(), error.reason, error.field) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "unsupported_type",
        "multipartFile",
    )
    assert "allowed: pdf, txt" in error.message
    assert await _rows(files) == 0 and await _keys(files) == []
    kept = await put(files, ALICE, b"plain words", name="notes.txt", allowed_formats=["pdf", "txt"])
    assert kept.format == "txt" and await _rows(files) == 1


async def test_over_limit_upload_is_refused_and_leaves_nothing(files: FilesEnv) -> None:
    too_big = b"a" * (2 * 1024 * 1024 + 1)
    code, reason = await _fails(put(files, ALICE, too_big, name="big.txt"))
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "file_too_large")
    code, reason = await _fails(put(files, ALICE, b"x", name="big.txt", size=3 * 1024 * 1024))
    assert reason == "file_too_large"
    # Images have their own, smaller limit (1 MB here), applied once the bytes show an image.
    code, reason = await _fails(put(files, ALICE, PNG + b"\x00" * (1024 * 1024), name="huge.png"))
    assert reason == "file_too_large"
    assert await _rows(files) == 0 and await _keys(files) == []
    exact = await put(files, ALICE, b"b" * (2 * 1024 * 1024), name="exact.txt")
    assert exact.size == 2 * 1024 * 1024


async def test_a_dropped_upload_stream_leaves_nothing(files: FilesEnv) -> None:
    started = asyncio.Event()

    async def messages() -> AsyncIterator[files_pb2.PutObjectChunk]:
        yield files_pb2.PutObjectChunk(header=files_pb2.PutObjectHeader(name="partial.bin"))
        yield files_pb2.PutObjectChunk(data=b"z" * 200_000)
        started.set()
        await asyncio.sleep(30)

    call = files.stub.PutObject(messages(), metadata=md(ALICE))
    await started.wait()
    await asyncio.sleep(0.3)
    call.cancel()
    for _ in range(50):
        if await _rows(files) == 0 and await _keys(files) == []:
            break
        await asyncio.sleep(0.1)
    assert await _rows(files) == 0 and await _keys(files) == []


async def test_sha256_mismatch_and_empty_file_are_refused(files: FilesEnv) -> None:
    _, reason = await _fails(put(files, ALICE, b"hello", sha256="0" * 64))
    assert reason == "sha256_mismatch"
    _, reason = await _fails(put(files, ALICE, b""))
    assert reason == "empty_file"
    ok = await put(files, ALICE, b"hello", sha256=sha(b"hello"))
    assert ok.sha256 == sha(b"hello")
    assert await _rows(files) == 1


async def test_client_names_never_reach_storage_and_traversal_is_not_found(files: FilesEnv) -> None:
    info = await put(files, ALICE, b"secret", name="../../etc/passwd")
    assert info.name == "passwd" and "/../" not in info.object_name
    keys = await _keys(files)
    assert len(keys) == 1 and "passwd" not in keys[0]
    for name in ("../../etc/passwd", "attachments/../../etc/passwd", "/etc/passwd", info.object_name + "/.."):
        code, reason = await _fails(
            files.stub.GetObject(
                files_pb2.GetObjectRequest(ref=files_pb2.ObjectRef(object_name=name)), metadata=md(ALICE)
            )
        )
        assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "file_not_found")
    _, reason = await _fails(put(files, ALICE, b"x", folder="../outside"))
    assert reason == "invalid_param"
    found = await files.stub.GetObject(
        files_pb2.GetObjectRequest(ref=files_pb2.ObjectRef(object_name=info.object_name)), metadata=md(ALICE)
    )
    assert found.id == info.id


async def test_another_tenants_object_is_not_found(files: FilesEnv) -> None:
    info = await put(files, ALICE, b"alice's", name="a.txt")
    for who in (BOB, CAROL):
        for call in (
            files.stub.GetObject(files_pb2.GetObjectRequest(ref=_ref(info)), metadata=md(who)),
            files.stub.PresignUrl(files_pb2.PresignUrlRequest(ref=_ref(info)), metadata=md(who)),
            read_all(files, files_pb2.ReadObjectRequest(ref=_ref(info)), who),
        ):
            assert await _fails(call) == (grpc.StatusCode.NOT_FOUND, "file_not_found")
        gone = await files.stub.DeleteObjects(files_pb2.DeleteObjectsRequest(refs=[_ref(info)]), metadata=md(who))
        assert gone.deleted_count == 0
    # A company key acts for the whole company.
    seen = await files.stub.GetObject(files_pb2.GetObjectRequest(ref=_ref(info)), metadata=md(ACME_KEY))
    assert seen.id == info.id
    assert await _fails(files.stub.GetObject(files_pb2.GetObjectRequest(ref=_ref(info)))) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "unauthorized",
    )


async def test_listing_pages_filters_and_scopes(files: FilesEnv) -> None:
    made = [
        await put(files, ALICE, f"doc {i}".encode(), name=f"d{i}.txt", folder="kb", cloud_space=i % 2 == 0)
        for i in range(5)
    ]
    await put(files, ALICE, PNG, name="p.png", folder="pics", cloud_space=True)
    await put(files, BOB, b"bob", name="b.txt", folder="kb")
    page = await files.stub.ListObjects(
        files_pb2.ListObjectsRequest(prefix="kb/", page=common_pb2.PageRequest(page=1, limit=2)), metadata=md(ALICE)
    )
    assert page.page.total == 5 and page.page.has_more
    assert [o.id for o in page.objects] == [made[4].id, made[3].id]  # newest first
    cloud_files = await files.stub.ListObjects(
        files_pb2.ListObjectsRequest(kind=files_pb2.OBJECT_KIND_FILE, cloud_space_only=True, include_urls=True),
        metadata=md(ALICE),
    )
    assert sorted(o.id for o in cloud_files.objects) == sorted(made[i].id for i in (0, 2, 4))
    assert all(DOWNLOAD_PATH in o.url for o in cloud_files.objects)
    images = await files.stub.ListObjects(
        files_pb2.ListObjectsRequest(kind=files_pb2.OBJECT_KIND_IMAGE), metadata=md(ALICE)
    )
    assert [o.name for o in images.objects] == ["p.png"]
    odd = await files.stub.ListObjects(files_pb2.ListObjectsRequest(prefix="k%"), metadata=md(ALICE))
    assert odd.page.total == 0  # LIKE wildcards in a prefix are literal


async def test_signed_token_grants_one_object_until_it_expires(files: FilesEnv) -> None:
    a = await put(files, ALICE, b"first object", name="a.txt")
    b = await put(files, ALICE, b"second object", name="b.txt")
    signed = await files.stub.PresignUrl(
        files_pb2.PresignUrlRequest(
            ref=_ref(a), expires_seconds=2, download=True, public_base_url="https://mesh.test/r"
        ),
        metadata=md(ALICE),
    )
    assert signed.url.startswith("https://mesh.test/r/files/download/")
    token = signed.url.rsplit("/", 1)[1]
    first = None
    async for message in files.stub.ReadObject(files_pb2.ReadObjectRequest(signed_token=token)):
        first = first or message
    assert first is not None and first.attachment and first.info.id == a.id
    assert await read_all(files, files_pb2.ReadObjectRequest(signed_token=token)) == b"first object"
    object_id, expiry, disposition, mac = token.split(".")
    for forged in (
        f"{b.id}.{expiry}.{disposition}.{mac}",
        f"{object_id}.{int(expiry) + 999}.{disposition}.{mac}",
        f"{object_id}.{expiry}.0.{mac}",
        "garbage",
        token + "x",
    ):
        code, reason = await _fails(read_all(files, files_pb2.ReadObjectRequest(signed_token=forged)))
        assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "bad_signature"), forged
    await asyncio.sleep(max(0.0, int(expiry) - time.time()) + 0.2)
    assert await _fails(read_all(files, files_pb2.ReadObjectRequest(signed_token=token))) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "url_expired",
    )


async def test_batch_presign_reports_each_object(files: FilesEnv) -> None:
    a = await put(files, ALICE, b"a", name="a.txt")
    theirs = await put(files, BOB, b"b", name="b.txt")
    reply = await files.stub.BatchPresign(
        files_pb2.BatchPresignRequest(
            refs=[
                files_pb2.ObjectRef(object_name=a.object_name),
                files_pb2.ObjectRef(object_name=theirs.object_name),
                files_pb2.ObjectRef(object_name="../../etc/passwd"),
            ],
        ),
        metadata=md(ALICE),
    )
    assert [e.success for e in reply.urls] == [True, False, False]
    assert reply.urls[0].object_id == a.id and reply.urls[0].url
    assert reply.urls[1].object_name == theirs.object_name and reply.urls[1].error


async def test_limits_are_reported(files: FilesEnv) -> None:
    limits = await files.stub.GetLimits(common_pb2.Empty(), metadata=md(ALICE))
    assert limits.max_file_bytes == 2 * 1024 * 1024 and limits.max_image_bytes == 1024 * 1024
    assert "pdf" in limits.file_formats and "mp3" in limits.voice_formats


async def test_presigned_local_url_is_relative_without_a_base(files: FilesEnv) -> None:
    a = await put(files, ALICE, b"a", name="a.txt")
    assert a.url.startswith(DOWNLOAD_PATH)
    assert httpx.URL(a.url).scheme == ""
