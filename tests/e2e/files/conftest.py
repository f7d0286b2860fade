"""Two tenants for the files e2e tests, and helpers to fetch URLs and compare digests."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

import httpx
import pytest

from tests.e2e.conftest import MeshClient

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 64
WAV = b"RIFF" + (36).to_bytes(4, "little") + b"WAVEfmt " + b"\x10\x00\x00\x00\x01\x00\x01\x00" + b"\x00" * 40


@dataclass
class Tenant:
    token: str
    user_id: int

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(mesh: MeshClient, url: str) -> httpx.Response:
    """GET a presigned URL as any client would: no Authorization header."""
    return httpx.get(url, timeout=30.0) if url.startswith("http") else mesh.http.get(url)


def _tenant(mesh: MeshClient, company: str) -> Tenant:
    account = f"files-{uuid.uuid4().hex[:8]}@{company}.test"
    created = mesh.create_user(account, "files-password-1", company)
    return Tenant(token=mesh.login(account, "files-password-1"), user_id=int(str(created["user_id"])))


@pytest.fixture(scope="session")
def alice(mesh: MeshClient) -> Tenant:
    return _tenant(mesh, "files-acme")


@pytest.fixture(scope="session")
def bob(mesh: MeshClient) -> Tenant:
    return _tenant(mesh, "files-globex")
