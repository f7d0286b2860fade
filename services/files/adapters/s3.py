"""The `s3` backend through the minio SDK: MinIO or any S3-compatible store; the bucket is made if missing."""

from __future__ import annotations

import asyncio
import contextlib
import queue
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from minio import Minio
from minio.error import S3Error

from services.files.adapters.base import READ_CHUNK, PresignRequest, check_key

_MISSING = {"NoSuchKey", "NoSuchObject", "NotFound"}
_FEED_POLL_S = 0.005


def content_disposition(filename: str, *, attachment: bool) -> str:
    """An RFC 6266 header value that survives any file name (ASCII fallback plus UTF-8 filename*)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename) or "file"
    kind = "attachment" if attachment else "inline"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class _QueueReader:
    """A blocking file-like reader fed from the event loop through a small bounded queue."""

    def __init__(self, chunks: queue.Queue[bytes | BaseException | None]) -> None:
        self._chunks = chunks
        self._buffer = memoryview(b"")
        self._eof = False

    def read(self, size: int = -1) -> bytes:
        while not self._buffer and not self._eof:
            item = self._chunks.get()
            if item is None:
                self._eof = True
            elif isinstance(item, BaseException):
                raise OSError("upload aborted") from item
            else:
                self._buffer = memoryview(item)
        take = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        out, self._buffer = bytes(self._buffer[:take]), self._buffer[take:]
        return out


class S3Backend:
    """Blocking SDK calls run in threads; uploads go up in parts of part_size bytes, never whole."""

    name = "s3"

    def __init__(
        self,
        *,
        endpoint: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str,
        secure: bool,
        public_endpoint: str = "",
        public_secure: bool | None = None,
        part_size: int = 8 * 1024 * 1024,
    ) -> None:
        self.bucket = bucket
        self.part_size = max(part_size, 5 * 1024 * 1024)
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
        # Presigning is offline (the region is known), so a client for the public endpoint only signs.
        self.signing_client = (
            Minio(
                public_endpoint,
                access_key=access_key,
                secret_key=secret_key,
                secure=secure if public_secure is None else public_secure,
                region=region,
            )
            if public_endpoint
            else self.client
        )
        self.region = region

    async def ensure_ready(self) -> None:
        await asyncio.to_thread(self._ensure_bucket)

    def _ensure_bucket(self) -> None:
        if self.client.bucket_exists(self.bucket):
            return
        try:
            self.client.make_bucket(self.bucket, location=self.region)
        except S3Error as error:
            if error.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> None:
        check_key(key)
        feed: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=4)
        upload = asyncio.ensure_future(
            asyncio.to_thread(
                self.client.put_object,
                self.bucket,
                key,
                _QueueReader(feed),  # type: ignore[arg-type]
                length=-1,
                part_size=self.part_size,
            )
        )
        try:
            async for chunk in chunks:
                await _feed(feed, chunk, upload)
            await _feed(feed, None, upload)
            await upload
        except BaseException as error:
            # Fail the reader so the SDK aborts its multipart upload, then drop whatever got committed.
            _abort(feed, error)
            with contextlib.suppress(BaseException):
                await upload
            with contextlib.suppress(Exception):
                await self.delete(key)
            raise

    async def read(self, key: str, *, offset: int = 0, length: int = 0) -> AsyncIterator[bytes]:
        check_key(key)
        try:
            response = await asyncio.to_thread(self.client.get_object, self.bucket, key, offset=offset, length=length)
        except S3Error as error:
            if error.code in _MISSING:
                raise FileNotFoundError(key) from None
            raise
        try:
            while True:
                chunk = await asyncio.to_thread(response.read, READ_CHUNK)
                if not chunk:
                    return
                yield chunk
        finally:
            response.close()
            response.release_conn()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.remove_object, self.bucket, check_key(key))

    async def exists(self, key: str) -> bool:
        try:
            await asyncio.to_thread(self.client.stat_object, self.bucket, check_key(key))
        except S3Error as error:
            if error.code in _MISSING:
                return False
            raise
        return True

    async def keys(self) -> AsyncIterator[str]:
        found = await asyncio.to_thread(
            lambda: [o.object_name for o in self.client.list_objects(self.bucket, recursive=True)]
        )
        for key in found:
            if key:
                yield key

    def presign(self, request: PresignRequest) -> str:
        headers = {
            "response-content-disposition": content_disposition(request.filename, attachment=request.download),
            "response-content-type": request.content_type or "application/octet-stream",
        }
        return str(
            self.signing_client.presigned_get_object(
                self.bucket,
                check_key(request.key),
                expires=timedelta(seconds=request.expires_s),
                response_headers=headers,  # type: ignore[arg-type]
            )
        )

    async def close(self) -> None:
        return None


async def _feed(
    feed: queue.Queue[bytes | BaseException | None], item: bytes | None, upload: asyncio.Future[Any]
) -> None:
    while True:
        if upload.done():
            upload.result()  # raises the SDK's error
            raise RuntimeError("upload finished before all data was sent")
        try:
            feed.put_nowait(item)
            return
        except queue.Full:
            await asyncio.sleep(_FEED_POLL_S)


def _abort(feed: queue.Queue[bytes | BaseException | None], error: BaseException) -> None:
    with contextlib.suppress(queue.Empty):
        while True:
            feed.get_nowait()
    with contextlib.suppress(queue.Full):
        feed.put_nowait(error)
