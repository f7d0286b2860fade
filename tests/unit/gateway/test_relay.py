"""pump() over any server stream, and relay() over Generate: batching, keep-alives, error frames, cancellation."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from meshconsole.chat.v1 import chat_pb2

from gateway.streaming import GenerationStream, ServerStream, pump, relay
from services.kit.errors import MeshError


class ScriptedCall:
    """A Generate call whose messages arrive when the test releases them; records cancellation."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.cancelled = False

    async def read(self) -> Any:
        item = await self.queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def cancel(self) -> None:
        self.cancelled = True


class Letters:
    keepalive = b"~"

    def frame(self, event: chat_pb2.GenerateEvent) -> bytes | None:
        return event.text_delta.text.encode() if event.WhichOneof("event") == "text_delta" else None

    def error(self, error: MeshError, last: chat_pb2.GenerateEvent | None) -> bytes:
        return f"!{error.message}@{last.text_delta.text if last else ''}".encode()


def text(value: str) -> chat_pb2.GenerateEvent:
    return chat_pb2.GenerateEvent(text_delta=chat_pb2.TextDelta(text=value))


async def test_what_arrives_together_goes_out_as_one_write_then_the_epilogue() -> None:
    call = ScriptedCall()
    for piece in ("a", "b", "c"):
        call.queue.put_nowait(text(piece))
    stream = GenerationStream(call)
    writes = relay(stream, Letters(), prologue=b"<", epilogue=b">")
    assert await anext(writes) == b"<"
    await asyncio.sleep(0.01)  # let the reader buffer all three
    assert await anext(writes) == b"abc"
    call.queue.put_nowait(grpc.aio.EOF)
    assert [w async for w in writes] == [b">"]
    assert call.cancelled


async def test_silence_becomes_keepalives_and_an_error_event_ends_with_the_error_frame() -> None:
    call = ScriptedCall()
    writes = relay(GenerationStream(call), Letters(), epilogue=b">", keepalive_s=0.01)
    assert await anext(writes) == b"~"
    call.queue.put_nowait(text("x"))
    call.queue.put_nowait(chat_pb2.GenerateEvent(error=chat_pb2.GenerateError(message="boom", grpc_code=14)))
    call.queue.put_nowait(text("never"))
    out = [w async for w in writes if w != b"~"]
    # The error frame is told the error event itself (it carries the turn's ids), not the text before it.
    assert out in ([b"x!boom@", b">"], [b"x", b"!boom@", b">"])
    assert call.cancelled


async def test_a_transport_failure_is_the_error_frame() -> None:
    call = ScriptedCall()
    call.queue.put_nowait(text("y"))
    writes = relay(GenerationStream(call), Letters())
    assert await anext(writes) == b"y"
    metadata = grpc.aio.Metadata()
    call.queue.put_nowait(grpc.aio.AioRpcError(grpc.StatusCode.UNAVAILABLE, metadata, metadata, details="gone"))
    out = [w async for w in writes]
    assert len(out) == 1 and out[0].startswith(b"!") and out[0].endswith(b"@y")
    assert call.cancelled


async def test_a_client_that_goes_away_cancels_the_rpc() -> None:
    call = ScriptedCall()
    call.queue.put_nowait(text("a"))
    writes = relay(GenerationStream(call), Letters())
    assert await anext(writes) == b"a"
    await writes.aclose()  # type: ignore[attr-defined]
    assert call.cancelled


class Words:
    """A generic encoder over plain strings: "!" marks an in-band failure; end() reports how the stream ended."""

    keepalive = b"."

    def frame(self, message: str) -> bytes | None:
        if message == "!":
            raise MeshError("told to fail", reason="in_band")
        return message.encode() + b" " if message else None

    def error(self, error: MeshError) -> bytes:
        return f"[{error.reason}]".encode()

    def end(self, *, failed: bool) -> bytes:
        return b"<failed>" if failed else b"<done>"


def unavailable() -> grpc.aio.AioRpcError:
    metadata = grpc.aio.Metadata()
    return grpc.aio.AioRpcError(grpc.StatusCode.UNAVAILABLE, metadata, metadata, details="gone")


async def test_the_pump_keeps_an_idle_stream_alive_and_ends_with_the_end_frame() -> None:
    call = ScriptedCall()
    writes = pump(ServerStream[str](call), Words(), prologue=b"<start>", keepalive_s=0.01)
    assert await anext(writes) == b"<start>"
    assert await anext(writes) == b"."
    assert await anext(writes) == b"."
    call.queue.put_nowait("one")
    call.queue.put_nowait("")  # skipped by the encoder
    call.queue.put_nowait("two")
    call.queue.put_nowait(grpc.aio.EOF)
    rest = [w async for w in writes if w != b"."]
    assert b"".join(rest) == b"one two <done>" and rest[-1] == b"<done>"
    assert call.cancelled


async def test_a_failing_stream_ends_with_the_error_frame() -> None:
    call = ScriptedCall()
    call.queue.put_nowait("one")
    writes = pump(ServerStream[str](call), Words())
    assert await anext(writes) == b"one "
    call.queue.put_nowait(unavailable())
    assert [w async for w in writes] == [b"[service_unavailable]", b"<failed>"]
    assert call.cancelled


async def test_an_in_band_failure_ends_the_stream_after_what_came_before_it() -> None:
    call = ScriptedCall()
    for message in ("a", "!", "never"):
        call.queue.put_nowait(message)
    writes = pump(ServerStream[str](call), Words())
    await asyncio.sleep(0.01)  # let the reader buffer all three
    assert [w async for w in writes] == [b"a [in_band]", b"<failed>"]
    assert call.cancelled


async def test_a_consumer_that_stops_cancels_the_call() -> None:
    call = ScriptedCall()
    call.queue.put_nowait("one")
    stream = ServerStream[str](call)
    writes = pump(stream, Words())
    assert await anext(writes) == b"one "
    await writes.aclose()
    assert call.cancelled
    await asyncio.sleep(0)
    assert stream._pump.cancelled() or stream._pump.done()
