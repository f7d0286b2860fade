"""The upstream's raw SSE stream: chunks parsed cheaply, odd frames tolerated, lines split across TCP writes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from services.chat.generation.sse import Delta, parse_chunk, read_deltas
from services.chat.generation.upstream import UpstreamClients
from services.chat.models.registry import ResolvedModel
from services.kit.errors import Unavailable
from services.kit.outbound import OutboundPolicy


def chunk(
    delta: dict[str, object] | None = None, finish: str | None = None, usage: dict[str, int] | None = None
) -> str:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    body: dict[str, object] = {"id": "c1", "object": "chat.completion.chunk", "choices": choices}
    if usage is not None:
        body["usage"] = usage
    return orjson.dumps(body).decode()


def test_content_and_finish_reason() -> None:
    assert parse_chunk(chunk({"content": "Hi"}, "stop")) == Delta(content="Hi", finish_reason="stop")


def test_an_empty_delta_is_an_empty_delta_not_an_error() -> None:
    assert parse_chunk(chunk({})) == Delta()
    assert parse_chunk(chunk({"content": None, "role": "assistant"})) == Delta()


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning", "reason_content"])
def test_reasoning_only_chunks_under_each_name_upstreams_use(field: str) -> None:
    assert parse_chunk(chunk({field: "thinking"})) == Delta(reasoning="thinking")


def test_a_usage_only_chunk_with_no_choices() -> None:
    parsed = parse_chunk(chunk(None, usage={"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}))
    assert parsed == Delta(prompt_tokens=7, completion_tokens=3)


@pytest.mark.parametrize("data", ["keep-alive", ": ping", "{not json", ""])
def test_non_json_keep_alives_are_skipped(data: str) -> None:
    assert parse_chunk(data) is None


def test_an_error_frame_raises_with_the_upstream_message() -> None:
    with pytest.raises(Unavailable, match="quota exceeded"):
        parse_chunk(orjson.dumps({"error": {"message": "quota exceeded"}}).decode())


async def raw_sse_server(pieces: list[bytes]) -> tuple[asyncio.Server, int]:
    """An HTTP/1.1 server that writes the body in exactly these pieces, each flushed on its own."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode().lower()
        declared = [line.split(":", 1)[1] for line in head.split("\r\n") if line.startswith("content-length:")]
        await reader.readexactly(int(declared[0]) if declared else 0)  # the SDK's JSON body
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        for piece in pieces:
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            await asyncio.sleep(0.01)  # separate TCP segments, so lines really arrive split
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def collect(deltas: AsyncIterator[Delta]) -> list[Delta]:
    return [delta async for delta in deltas]


async def test_lines_split_across_writes_keep_alives_and_usage_arrive_whole() -> None:
    first = f"data: {chunk({'content': 'Hel'})}\n\n".encode()
    second = f"data: {chunk({'content': 'lo'})}\n\n".encode()
    pieces = [
        b": keep-alive\n\n",
        first[:9],
        first[9:25],
        first[25:],  # one data line cut in three
        f"data: {chunk({'reasoning_content': 'hm'})}\n\n".encode() + second[:4],
        second[4:],
        f"data: {chunk({}, 'stop')}\n\n".encode(),
        f"data: {chunk(None, usage={'prompt_tokens': 5, 'completion_tokens': 2})}\n\n".encode(),
        b"data: [DONE]\n\n",
    ]
    server, port = await raw_sse_server(pieces)
    loopback = OutboundPolicy.build(networks="127.0.0.0/8")  # the test's server listens on loopback
    clients = UpstreamClients(timeout_s=5, connect_timeout_s=2, policy=loopback)
    model = ResolvedModel(
        model_name="m", base_url=f"http://127.0.0.1:{port}/v1", api_key="k", max_tokens=100, entry_id="e"
    )
    try:
        deltas = await collect(
            clients.stream_chat(model, messages=[{"role": "user", "content": "hi"}], params={}, stop=asyncio.Event())
        )
    finally:
        await clients.close()
        server.close()
        await server.wait_closed()
    assert "".join(d.content for d in deltas) == "Hello"
    assert "".join(d.reasoning for d in deltas) == "hm"
    assert [d.finish_reason for d in deltas if d.finish_reason] == ["stop"]
    assert [(d.prompt_tokens, d.completion_tokens) for d in deltas if d.prompt_tokens] == [(5, 2)]


async def _pieces(*pieces: bytes) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


async def test_events_that_arrive_in_one_read_become_one_delta() -> None:
    events = b"".join(f"data: {chunk({'content': t})}\n\n".encode() for t in ("a", "b", "c"))
    usage = f"data: {chunk(None, usage={'prompt_tokens': 1, 'completion_tokens': 3})}\n\n".encode()
    deltas = await collect(read_deltas(_pieces(events, usage + b"data: [DONE]\n\ndata: ignored\n\n")))
    assert deltas == [Delta(content="abc"), Delta(prompt_tokens=1, completion_tokens=3)]


async def test_merging_never_reorders_reasoning_text_and_tool_calls() -> None:
    call = {"index": 0, "id": "c", "function": {"name": "f", "arguments": ""}}
    parts = [{"reasoning_content": "r1"}, {"content": "t1"}, {"reasoning_content": "r2"}, {"content": "t2"}]
    parts += [{"tool_calls": [call]}, {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}]
    body = b"".join(f"data: {chunk(p)}\n\n".encode() for p in parts)
    deltas = await collect(read_deltas(_pieces(body)))
    assert [(d.reasoning, d.content) for d in deltas] == [("r1", "t1"), ("r2", "t2")]
    assert deltas[0].tool_calls is None
    assert deltas[1].tool_calls is not None and len(deltas[1].tool_calls) == 2  # after its text, in order


async def test_behind_the_reader_holds_after_a_text_read_so_the_socket_gathers_the_next_events() -> None:
    pieces = [f"data: {chunk({'content': f't{i}'})}\n\n".encode() for i in range(8)] + [b"data: [DONE]\n\n"]
    server, port = await raw_sse_server(pieces)  # one piece every 10 ms
    holds: list[float] = []

    def hold() -> float:
        holds.append(1.0)
        return 1.0  # far longer than the server takes to write the rest

    try:
        async with httpx.AsyncClient() as http, http.stream("POST", f"http://127.0.0.1:{port}/", json={}) as response:
            deltas = await collect(read_deltas(response.aiter_bytes(), hold))
    finally:
        server.close()
        await server.wait_closed()
    assert deltas[0].content == "t0" and not holds[1:], "one hold: after it the rest was in the buffer"
    assert "".join(d.content for d in deltas) == "".join(f"t{i}" for i in range(8))
