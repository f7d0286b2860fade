"""Both object backends pass one suite: `s3` against a real s3rver, `local` on disk with its signed URLs.

Put, a multipart upload over 5 MB, presigned GET fetched over HTTP, list, delete, bucket creation, and a
failed upload that must leave nothing behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from minio import Minio

from services.files.adapters.base import ObjectBackend, PresignRequest, new_key
from services.files.adapters.local import DOWNLOAD_PATH, LocalBackend
from services.files.adapters.s3 import S3Backend
from services.files.signing import UrlSigner
from services.kit.errors import PermissionDenied
from services.kit.testing.servers import S3rverServer

pytestmark = pytest.mark.timeout(120)
MB = 1024 * 1024


class LocalDownloads:
    """Serves /files/download/<token> for a LocalBackend over real HTTP, as the gateway does."""

    def __init__(self, backend: LocalBackend) -> None:
        self.backend = backend
        self.keys: dict[int, str] = {}
        self.server: asyncio.Server | None = None
        self.base = ""

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.base = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        path = head.split(b" ", 2)[1].decode()
        try:
            grant = self.backend.signer.verify(path.removeprefix(DOWNLOAD_PATH))
            body = b"".join([c async for c in self.backend.read(self.keys[grant.object_id])])
            status = "200 OK"
        except (PermissionDenied, KeyError, FileNotFoundError):
            status, body = "403 Forbidden", b"denied"
        writer.write(f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        await writer.drain()
        writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@pytest.fixture(params=["local", "s3"])
def backend_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_asyncio.fixture(loop_scope="session")
async def backend(
    backend_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[ObjectBackend, LocalDownloads | None]]:
    if backend_kind == "s3":
        s3: S3rverServer = request.getfixturevalue("s3_server")
        remote = S3Backend(
            endpoint=s3.endpoint,
            bucket=f"suite-{uuid.uuid4().hex[:10]}",
            access_key=s3.access_key,
            secret_key=s3.secret_key,
            region="us-east-1",
            secure=False,
            part_size=5 * MB,
        )
        await remote.ensure_ready()
        yield remote, None
        return
    local = LocalBackend(tmp_path / "objects", signer=UrlSigner("suite-secret"))
    await local.ensure_ready()
    downloads = LocalDownloads(local)
    await downloads.start()
    try:
        yield local, downloads
    finally:
        await downloads.stop()


async def _stream(data: bytes, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def _read(backend: ObjectBackend, key: str, **kwargs: int) -> bytes:
    return b"".join([chunk async for chunk in backend.read(key, **kwargs)])


def _presign(backend: ObjectBackend, downloads: LocalDownloads | None, key: str, object_id: int, expires_s: int) -> str:
    if downloads is not None:
        downloads.keys[object_id] = key
    base = downloads.base if downloads else ""
    return backend.presign(PresignRequest(key, object_id, "r.bin", "application/octet-stream", expires_s, False, base))


def _count_calls(store: ObjectBackend, method: str) -> list[object]:
    """Record calls of one of the real SDK client's methods (they still run); [] for the local backend."""
    calls: list[object] = []
    if isinstance(store, S3Backend):
        real = getattr(store.client, method)

        def counted(*args: object, **kwargs: object) -> object:
            calls.append(args)
            return real(*args, **kwargs)

        setattr(store.client, method, counted)
    return calls


async def test_put_read_list_and_delete(backend: tuple[ObjectBackend, LocalDownloads | None]) -> None:
    store, _ = backend
    key, other = new_key(), new_key()
    await store.put(key, _stream(b"hello object"))
    await store.put(other, _stream(b"second"))
    assert await _read(store, key) == b"hello object"
    assert await _read(store, key, offset=6, length=3) == b"obj"
    assert await store.exists(key)
    assert sorted([k async for k in store.keys()]) == sorted([key, other])
    await store.delete(key)
    await store.delete(key)  # missing is fine
    assert not await store.exists(key)
    with pytest.raises(FileNotFoundError):
        await _read(store, key)
    assert [k async for k in store.keys()] == [other]


async def test_large_upload_goes_up_in_parts_and_comes_back_whole(
    backend: tuple[ObjectBackend, LocalDownloads | None],
) -> None:
    store, _ = backend
    data = os.urandom(12 * MB + 123)
    key = new_key()
    parts = _count_calls(store, "_upload_part")
    await store.put(key, _stream(data))
    assert hashlib.sha256(await _read(store, key)).hexdigest() == hashlib.sha256(data).hexdigest()
    if isinstance(store, S3Backend):
        stat = await asyncio.to_thread(store.client.stat_object, store.bucket, key)
        assert stat.size == len(data) and len(parts) == 3  # three 5 MB parts, never the whole body at once


async def test_presigned_get_over_http_grants_one_object_until_it_expires(
    backend: tuple[ObjectBackend, LocalDownloads | None],
) -> None:
    store, downloads = backend
    key = new_key()
    data = os.urandom(200_000)
    await store.put(key, _stream(data))
    url = _presign(store, downloads, key, 7, 600)
    async with httpx.AsyncClient(timeout=10) as client:
        reply = await client.get(url)
        assert reply.status_code == 200 and reply.content == data
        short = _presign(store, downloads, key, 7, 1)
        await asyncio.sleep(2.1)
        expired = await client.get(short)
        assert expired.status_code == 403
        if downloads is not None:
            # The local token names its object and is signed: it cannot be pointed at another one.
            await store.put(other := new_key(), _stream(b"someone else's"))
            downloads.keys[8] = other
            token = url.rsplit("/", 1)[1]
            forged = token.replace("7.", "8.", 1)
            assert (await client.get(url.replace(token, forged))).status_code == 403


async def test_a_failed_upload_leaves_nothing(backend: tuple[ObjectBackend, LocalDownloads | None]) -> None:
    store, _ = backend

    key = new_key()
    parts, aborts = _count_calls(store, "_upload_part"), _count_calls(store, "_abort_multipart_upload")

    async def breaks_midway() -> AsyncIterator[bytes]:
        yield os.urandom(6 * MB)
        yield os.urandom(MB)
        if isinstance(store, S3Backend):
            for _ in range(200):  # let the first part reach the server before failing
                if parts:
                    break
                await asyncio.sleep(0.05)
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError, match="went away"):
        await store.put(key, breaks_midway())
    assert not await store.exists(key)
    assert [k async for k in store.keys()] == []
    if isinstance(store, S3Backend):
        assert len(parts) == 1 and len(aborts) == 1  # a part went up, then the multipart upload was aborted


async def test_keys_that_are_not_generated_are_refused(backend: tuple[ObjectBackend, LocalDownloads | None]) -> None:
    store, _ = backend
    for bad in ("../../etc/passwd", "ab/cd/../../../x", "/etc/passwd", "ab/cd/" + "g" * 32, ""):
        with pytest.raises(ValueError):
            await store.delete(bad)
        with pytest.raises(ValueError):
            await _read(store, bad)


async def test_the_bucket_or_root_is_created_when_missing(tmp_path: Path, s3_server: S3rverServer) -> None:
    bucket = f"fresh-{uuid.uuid4().hex[:10]}"
    raw = Minio(s3_server.endpoint, access_key="S3RVER", secret_key="S3RVER", secure=False, region="us-east-1")
    assert not raw.bucket_exists(bucket)
    remote = S3Backend(
        endpoint=s3_server.endpoint,
        bucket=bucket,
        access_key="S3RVER",
        secret_key="S3RVER",
        region="us-east-1",
        secure=False,
    )
    await remote.ensure_ready()
    await remote.ensure_ready()  # again: already there is fine
    assert raw.bucket_exists(bucket)
    local = LocalBackend(tmp_path / "deep" / "root", signer=UrlSigner("x"))
    await local.ensure_ready()
    assert (tmp_path / "deep" / "root").is_dir()
