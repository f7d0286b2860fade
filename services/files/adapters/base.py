"""The interface every object storage backend implements, plus the storage-key rules they share."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

# Keys are generated here, never taken from a client: "ab/cd/<32 hex>".
_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}$")
READ_CHUNK = 256 * 1024


def new_key() -> str:
    """A fresh random storage key."""
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token[2:4]}/{token}"


def check_key(key: str) -> str:
    """The key itself when it has the generated shape; ValueError otherwise."""
    if not _KEY.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return key


@dataclass(frozen=True)
class PresignRequest:
    """What a download URL should grant: one object, until expires_at (unix seconds)."""

    key: str
    object_id: int
    filename: str
    content_type: str
    expires_s: int
    download: bool
    public_base_url: str


class ObjectBackend(Protocol):
    """Bytes by generated key. Every method is safe to repeat; delete of a missing key is not an error."""

    name: str

    async def ensure_ready(self) -> None:
        """Create the bucket or root directory when missing."""

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> None:
        """Store the stream under key without holding it all in memory; nothing stays behind if it fails."""

    def read(self, key: str, *, offset: int = 0, length: int = 0) -> AsyncIterator[bytes]:
        """The object's bytes (from offset, length 0 = to the end) in chunks; FileNotFoundError if missing."""

    async def delete(self, key: str) -> None:
        """Remove the object; a missing one is fine."""

    async def exists(self, key: str) -> bool:
        """Whether bytes are stored under key."""

    def keys(self) -> AsyncIterator[str]:
        """Every stored key (for sweeps and tests)."""

    def presign(self, request: PresignRequest) -> str:
        """A URL that serves this one object, and only until it expires."""

    async def close(self) -> None:
        """Release connections."""
