"""GET /files/download/{token}: serves a local-backend presigned URL (no auth: the HMAC token is the grant).

Dialect-neutral; it lives in this package only so that the route loader registers it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import cast
from urllib.parse import quote

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse
from meshconsole.files.v1 import files_pb2

from gateway.deps import Clients
from services.kit import grpc_client
from services.kit.errors import MeshError

router = APIRouter(prefix="/files")
DOWNLOAD_TIMEOUT_S = 3600.0
IDLE_TIMEOUT_S = 60.0


def content_disposition(filename: str, *, attachment: bool) -> str:
    """An RFC 6266 value that survives any file name (ASCII fallback plus UTF-8 filename*)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename) or "file"
    kind = "attachment" if attachment else "inline"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/download/{token}", include_in_schema=False)
async def download(clients: Clients, token: str) -> Response:
    """Stream the one object the token grants, until the token expires or the object is deleted."""
    stream = cast(
        AsyncGenerator[files_pb2.ReadObjectResponse, None],
        grpc_client.server_stream(
            clients.files.ReadObject,
            files_pb2.ReadObjectRequest(signed_token=token[:512]),
            timeout_s=DOWNLOAD_TIMEOUT_S,
            idle_timeout_s=IDLE_TIMEOUT_S,
        ),
    )
    try:
        first = await anext(stream)
    except StopAsyncIteration:
        raise MeshError("empty download stream", reason="empty_stream") from None
    except BaseException:
        await stream.aclose()
        raise
    info = first.info

    async def body() -> AsyncIterator[bytes]:
        try:
            async for message in stream:
                yield message.data
        finally:
            with contextlib.suppress(Exception):
                await stream.aclose()

    headers = {
        "Content-Length": str(info.size),
        "Content-Disposition": content_disposition(info.name, attachment=first.attachment),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, max-age=0, no-store",
        "ETag": f'"{info.sha256}"',
    }
    return StreamingResponse(body(), media_type=info.content_type or "application/octet-stream", headers=headers)
