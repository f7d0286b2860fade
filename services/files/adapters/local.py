"""The `local` backend: bytes in files under one root directory, downloads through HMAC-signed URLs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

from services.files.adapters.base import READ_CHUNK, PresignRequest, check_key
from services.files.signing import UrlSigner

DOWNLOAD_PATH = "/files/download/"
_PARTIAL = ".partial"
_PARTIAL_MAX_AGE_S = 3600.0


class LocalBackend:
    """Keys map to paths under root; a key that is not a generated one, or leaves root, is refused."""

    name = "local"

    def __init__(self, root: Path, *, signer: UrlSigner, default_public_base_url: str = "") -> None:
        self.root = root.resolve()
        self.signer = signer
        self.default_public_base_url = default_public_base_url.rstrip("/")

    def path_for(self, key: str) -> Path:
        """The file of a key, guaranteed inside root."""
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"key escapes the storage root: {key!r}")
        return path

    async def ensure_ready(self) -> None:
        await asyncio.to_thread(self._prepare)

    def _prepare(self) -> None:
        partial = self.root / _PARTIAL
        partial.mkdir(parents=True, exist_ok=True)
        cutoff = time.time() - _PARTIAL_MAX_AGE_S
        for leftover in partial.iterdir():
            with contextlib.suppress(OSError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> None:
        final = self.path_for(key)
        partial = self.root / _PARTIAL / uuid.uuid4().hex
        handle = await asyncio.to_thread(open, partial, "xb")
        try:
            async for chunk in chunks:
                await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(_flush_and_close, handle)
            await asyncio.to_thread(_publish, partial, final)
        except BaseException:
            handle.close()
            with contextlib.suppress(OSError):
                partial.unlink()
            raise

    async def read(self, key: str, *, offset: int = 0, length: int = 0) -> AsyncIterator[bytes]:
        path = self.path_for(key)
        handle = await asyncio.to_thread(open, path, "rb")
        try:
            if offset:
                handle.seek(offset)
            remaining = length if length > 0 else -1
            while remaining != 0:
                size = READ_CHUNK if remaining < 0 else min(READ_CHUNK, remaining)
                chunk = await asyncio.to_thread(handle.read, size)
                if not chunk:
                    return
                if remaining > 0:
                    remaining -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        path = self.path_for(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path_for(key).is_file)

    async def keys(self) -> AsyncIterator[str]:
        found = await asyncio.to_thread(self._walk)
        for key in found:
            yield key

    def _walk(self) -> list[str]:
        keys = []
        for path in self.root.glob("*/*/*"):
            relative = path.relative_to(self.root).as_posix()
            if not relative.startswith(_PARTIAL) and path.is_file():
                keys.append(relative)
        return sorted(keys)

    def presign(self, request: PresignRequest) -> str:
        token = self.signer.sign(
            object_id=request.object_id,
            expires_at=int(time.time()) + request.expires_s,
            attachment=request.download,
        )
        base = (request.public_base_url or self.default_public_base_url).rstrip("/")
        return f"{base}{DOWNLOAD_PATH}{token}"

    async def close(self) -> None:
        return None


def _flush_and_close(handle: IO[bytes]) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()


def _publish(partial: Path, final: Path) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, final)
