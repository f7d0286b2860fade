"""The files service on each backend (local and s3rver): the same upload, URL and delete behaviour."""

from __future__ import annotations

import os

import httpx
from meshconsole.files.v1 import files_pb2

from services.files.adapters.s3 import S3Backend
from tests.service.files_support import (  # noqa: F401 - fixtures
    ALICE,
    FilesEnv,
    files_any_backend_fixture,
    files_backend_fixture,
    md,
    put,
    read_all,
    sha,
)


async def _download(env: FilesEnv, url: str) -> httpx.Response:
    if url.startswith("http"):
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.get(url)
    token = url.rsplit("/", 1)[1]
    return httpx.Response(200, content=await read_all(env, files_pb2.ReadObjectRequest(signed_token=token)))


async def test_upload_presign_and_delete_on_each_backend(files_any_backend: FilesEnv) -> None:
    env = files_any_backend
    data = b"%PDF-1.7\n" + os.urandom(6 * 1024 * 1024)  # over one 5 MB part
    info = await put(env, ALICE, data, name="big report.pdf", chunk=1024 * 1024)
    assert info.sha256 == sha(data) and info.content_type == "application/pdf"
    ref = files_pb2.ObjectRef(id=info.id)
    assert sha(await read_all(env, files_pb2.ReadObjectRequest(ref=ref), ALICE)) == sha(data)
    signed = await env.stub.PresignUrl(files_pb2.PresignUrlRequest(ref=ref, download=True), metadata=md(ALICE))
    got = await _download(env, signed.url)
    assert got.status_code == 200 and sha(got.content) == sha(data)
    if isinstance(env.process.service.backend, S3Backend):
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["content-disposition"].startswith("attachment;")
        assert "big%20report.pdf" in got.headers["content-disposition"]
    await env.stub.DeleteObjects(files_pb2.DeleteObjectsRequest(refs=[ref]), metadata=md(ALICE))
    assert [k async for k in env.process.service.backend.keys()] == []
    if signed.url.startswith("http"):
        async with httpx.AsyncClient(timeout=10) as client:
            assert (await client.get(signed.url)).status_code == 404
