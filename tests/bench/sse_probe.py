"""A raw asyncio SSE client for benchmarks: one connection per stream, a timestamp per read that carries tokens.

httpx spends tens of µs per line; at 1,000 streams of 50 tokens/s the load generator would eat the cores it
measures. This protocol only counts token markers in whatever bytes arrive, so its cost is per read, not per token.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import orjson

# Every token the bench upstream sends contains this marker once; nothing else on any path does.
MARKER = b"@@"


@dataclass
class StreamResult:
    """What one client saw: HTTP status, time to first token, total time, token count and gaps between reads."""

    status: int = 0
    ttft_s: float = 0.0
    total_s: float = 0.0
    tokens: int = 0
    gaps_s: list[float] = field(default_factory=list)
    error: str = ""
    retry_after: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.tokens > 0 and not self.error


class _Probe(asyncio.Protocol):
    def __init__(self, request: bytes, started: float, done: asyncio.Future[StreamResult]) -> None:
        self.request = request
        self.started = started
        self.done = done
        self.result = StreamResult()
        self.head = b""
        self.tail = b""
        self.stamps: list[float] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        if not self.result.status:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            head, data = self.head[:end], self.head[end + 4 :]
            lines = head.split(b"\r\n")
            self.result.status = int(lines[0].split()[1])
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"retry-after":
                    self.result.retry_after = value.strip().decode()
        text = self.tail + data
        count = text.count(MARKER)
        if count:
            self.result.tokens += count
            self.stamps.append(now)
        self.tail = text[-(len(MARKER) - 1) :]

    def connection_lost(self, exc: Exception | None) -> None:
        result = self.result
        result.total_s = time.perf_counter() - self.started
        if self.stamps:
            result.ttft_s = self.stamps[0] - self.started
            result.gaps_s = [b - a for a, b in itertools.pairwise(self.stamps)]
        if exc is not None:
            result.error = repr(exc)
        if not self.done.done():
            self.done.set_result(result)


def request_bytes(url: str, body: dict[str, object], headers: dict[str, str]) -> tuple[str, int, bytes]:
    """(host, port, the whole HTTP/1.1 request); `Connection: close` makes the end of the stream the EOF."""
    parts = urlsplit(url)
    payload = orjson.dumps(body)
    lines = [
        f"POST {parts.path} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Content-Type: application/json",
        "Accept: text/event-stream",
        f"Content-Length: {len(payload)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return parts.hostname or "127.0.0.1", parts.port or 80, ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def stream_once(host: str, port: int, request: bytes, *, timeout_s: float = 600.0) -> StreamResult:
    """Send one streaming request and read it to the end."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[StreamResult] = loop.create_future()
    started = time.perf_counter()
    try:
        transport, _ = await loop.create_connection(lambda: _Probe(request, started, done), host, port)
    except OSError as error:
        return StreamResult(error=repr(error), total_s=time.perf_counter() - started)
    try:
        return await asyncio.wait_for(asyncio.shield(done), timeout_s)
    except TimeoutError:
        return StreamResult(error="timeout", total_s=time.perf_counter() - started)
    finally:
        transport.close()


async def many(host: str, port: int, request: bytes, count: int) -> tuple[list[StreamResult], float]:
    """`count` streams started at once; their results and the wall time until the last one ended."""
    started = time.perf_counter()
    results = await asyncio.gather(*(stream_once(host, port, request) for _ in range(count)))
    return list(results), time.perf_counter() - started
