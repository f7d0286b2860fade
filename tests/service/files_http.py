"""Tiny real HTTP servers on loopback addresses for the SSRF tests (asyncio streams, HTTP/1.0 style)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 64
Route = Callable[["ImageSite"], tuple[int, dict[str, str], bytes]]


@dataclass
class ImageSite:
    """Answers a fixed set of paths and counts every request it receives."""

    host: str
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    async def start(self) -> ImageSite:
        self._server = await asyncio.start_server(self._handle, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            self.hits.append(path)
            route = self.routes.get(path)
            status, headers, body = route(self) if route else (404, {"Content-Type": "text/plain"}, b"no")
            lines = [f"HTTP/1.1 {status} X", "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
            if "Content-Length" not in headers and not headers.get("X-No-Length"):
                lines.append(f"Content-Length: {len(body)}")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def image_site(host: str, *, internal_port: int = 0, huge: int = 2 * 1024 * 1024) -> ImageSite:
    """The outside site the proxy may fetch from, with every trick the SSRF suite needs."""
    return ImageSite(
        host,
        routes={
            "/img.png": lambda s: (200, {"Content-Type": "image/png"}, PNG),
            "/page": lambda s: (200, {"Content-Type": "text/html"}, b"<html>not an image</html>"),
            "/liar.png": lambda s: (200, {"Content-Type": "image/png"}, b"<svg onload=alert(1)>"),
            "/huge.png": lambda s: (200, {"Content-Type": "image/png"}, PNG + b"\x00" * huge),
            "/huge-unsized.png": lambda s: (
                200,
                {"Content-Type": "image/png", "X-No-Length": "1"},
                PNG + b"\x00" * huge,
            ),
            "/to-internal": lambda s: (302, {"Location": f"http://127.0.0.1:{internal_port}/img.png"}, b""),
            "/to-localhost": lambda s: (302, {"Location": f"http://localhost:{internal_port}/img.png"}, b""),
            "/to-self": lambda s: (301, {"Location": "/img.png"}, b""),
            "/broken": lambda s: (500, {"Content-Type": "text/plain"}, b"oops"),
        },
    )


def internal_site() -> ImageSite:
    """Stands for something inside the network: it must never be reached."""
    return ImageSite("127.0.0.1", routes={"/img.png": lambda s: (200, {"Content-Type": "image/png"}, PNG)})
