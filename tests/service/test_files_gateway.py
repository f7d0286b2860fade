"""The real gateway in front of in-process identity and files: SSRF refusals and size limits in envelopes.

The files service here has small limits and a test-only allowlist, which the launcher's mesh cannot have, so
the refusals that need a reachable "outside" site (redirects, content type, size) are checked here.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest_asyncio
import uvicorn

from gateway.config import GatewaySettings
from gateway.main import create_app
from services.identity.app import IdentityProcess
from services.identity.credentials import client_password_digest
from services.kit.testing.credentials import TEST_SECRET
from services.kit.testing.servers import NatsServer, ValkeyServer, free_port
from tests.service.conftest import ADMIN_ACCOUNT, ADMIN_PASSWORD
from tests.service.files_http import PNG, image_site, internal_site
from tests.service.files_support import FilesEnv, start_files, stop_files
from tests.service.test_files_fetcher import FlippingResolver


@pytest_asyncio.fixture(loop_scope="session")
async def stack(
    identity: tuple[IdentityProcess, grpc.aio.Channel],
    tmp_path: Path,
    nats_server: NatsServer,
    valkey_server: ValkeyServer,
) -> AsyncIterator[dict[str, Any]]:
    inside = await internal_site().start()
    outside = await image_site("127.0.0.2", internal_port=inside.port).start()
    files: FilesEnv = await start_files(
        tmp_path / "files",
        f"sqlite+aiosqlite:///{tmp_path / 'files.db'}",
        nats_server,
        resolver=FlippingResolver(),
        files_fetch_allow_networks=["127.0.0.2/32"],
        files_max_upload_mb=1,
        files_max_image_mb=1,
    )
    port = free_port()
    settings = GatewaySettings(
        port=port,
        data_dir=tmp_path / "gateway",
        secret_key=TEST_SECRET,  # the gateway's mesh key derives from it: the in-process services' test keys
        nats_url=nats_server.url,
        redis_url=valkey_server.url,
        identity_addr=f"127.0.0.1:{identity[0].port}",
        files_addr=f"127.0.0.1:{files.process.port}",
        gateway_max_body_mb=2,
    )
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        login = await http.post(
            "/next_console/login_by_password",
            json={"user_account": ADMIN_ACCOUNT, "user_password": client_password_digest(ADMIN_PASSWORD)},
        )
        token = login.json()["result"]["token"]
        try:
            yield {
                "http": http,
                "auth": {"Authorization": f"Bearer {token}"},
                "outside": outside,
                "inside": inside,
                "files": files,
            }
        finally:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await stop_files(files)
            await outside.stop()
            await inside.stop()


async def _proxy(stack: dict[str, Any], path: str) -> httpx.Response:
    url = f"http://images.test:{stack['outside'].port}{path}"
    reply: httpx.Response = await stack["http"].get("/api/proxy/image", params={"url": url}, headers=stack["auth"])
    return reply


async def test_the_proxy_answers_nexent_shapes(stack: dict[str, Any]) -> None:
    ok = await _proxy(stack, "/img.png")
    assert ok.status_code == 200
    assert ok.json() == {"success": True, "base64": base64.b64encode(PNG).decode(), "content_type": "image/png"}
    broken = await _proxy(stack, "/broken")
    assert broken.status_code == 200 and broken.json()["success"] is False
    for path, status in (
        ("/to-internal", 400),
        ("/to-localhost", 400),
        ("/page", 400),
        ("/liar.png", 400),
        ("/huge.png", 413),
        ("/huge-unsized.png", 413),
    ):
        reply = await _proxy(stack, path)
        assert reply.status_code == status, (path, reply.text)
        assert set(reply.json()) == {"detail"}
    assert stack["inside"].hits == []


async def _objects(stack: dict[str, Any]) -> list[str]:
    return [key async for key in stack["files"].process.service.backend.keys()]


async def test_uploads_over_the_limit_answer_413_in_each_dialect_and_leave_nothing(stack: dict[str, Any]) -> None:
    http, auth = stack["http"], stack["auth"]
    small, big = b"x" * 1000, b"y" * (1024 * 1024 + 1)
    nexent = await http.post(
        "/api/file/storage",
        headers=auth,
        data={"folder": "f"},
        files=[("files", ("ok.txt", small)), ("files", ("big.txt", big))],
    )
    assert nexent.status_code == 413 and set(nexent.json()) == {"detail"}
    lbai = await http.post(
        "/ai-api/v1/trainingSpace/addFileOrImg", headers=auth, files={"multipartFile": ("big.pdf", b"%PDF" + big)}
    )
    assert lbai.status_code == 413 and lbai.json()["errorCode"] == 413 and lbai.json()["success"] is False
    nextconsole = await http.post("/next_console/resources/upload", headers=auth, files={"data": ("big.txt", big)})
    assert nextconsole.status_code == 413 and nextconsole.json()["error_code"] == 413

    async def chunked() -> AsyncIterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="data"; filename="s.txt"\r\n\r\n'
        for _ in range(40):
            yield b"z" * 100_000
        yield b"\r\n--b--\r\n"

    # No Content-Length: the body limit (2 MB here) is enforced while it streams in.
    streamed = await http.post(
        "/next_console/resources/upload",
        content=chunked(),
        headers={**auth, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert streamed.status_code == 413 and streamed.json()["error_status"] is True
    assert await _objects(stack) == []
    fine = await http.post("/next_console/resources/upload", headers=auth, files={"data": ("fine.txt", small)})
    assert fine.status_code == 200 and len(await _objects(stack)) == 1
