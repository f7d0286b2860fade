"""Pre-encoded NextConsole chunks equal the dict-encoded ones; the gateway's stream limit refuses at once and frees."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import orjson
import pytest
from meshconsole.chat.v1 import chat_pb2

from gateway import streaming
from gateway.dialects.nextconsole.app_run import CompletionChunks, _chunk
from gateway.errors import http_status, retry_after
from services.kit.context import Principal
from services.kit.errors import ResourceExhausted


def event(**kind: Any) -> chat_pb2.GenerateEvent:
    return chat_pb2.GenerateEvent(task_id="t-1", message_id="m-1", conversation_id="c-1", created_at=1700, **kind)


@pytest.mark.parametrize("text", ["Hello", ' "quoted" \\ back', "中文\n换行", "\u2028 emoji 🎉", ""])
def test_pre_encoded_delta_frames_are_the_bytes_the_dict_would_make(text: str) -> None:
    chunks = CompletionChunks("m")
    assert chunks.frame(event(message_start=chat_pb2.MessageStart(model="real-model"))) is None
    first = chunks.frame(event(text_delta=chat_pb2.TextDelta(text=text)))
    assert first == _chunk(event(), "real-model", {"role": "assistant", "content": text})
    thought = chunks.frame(event(reasoning_delta=chat_pb2.ReasoningDelta(text=text)))
    assert thought == _chunk(event(), "real-model", {"reason_content": text})
    assert first is not None and orjson.loads(first[6:])["choices"][0]["delta"]["content"] == text


class HeldCall:
    """A Generate call that answers its first event and then stays open until the test ends it."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.queue.put_nowait(event(message_start=chat_pb2.MessageStart(model="m")))
        self.queue.put_nowait(event(text_delta=chat_pb2.TextDelta(text="a")))
        self.callbacks: list[Any] = []

    async def read(self) -> Any:
        return await self.queue.get()

    def add_done_callback(self, callback: Any) -> None:
        self.callbacks.append(callback)

    def cancel(self) -> None:
        self.finish()

    def finish(self) -> None:
        for callback in self.callbacks:
            callback(self)
        self.queue.put_nowait(grpc.aio.EOF)


async def test_past_the_limit_a_new_stream_is_refused_at_once_and_a_finished_one_frees_its_slot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(streaming, "STREAM_SLOTS", streaming.StreamSlots(limit=2))
    calls: list[HeldCall] = []

    def rpc(request: Any, **kwargs: Any) -> HeldCall:
        calls.append(HeldCall())
        return calls[-1]

    me = Principal(user_id=1, company_id=1)
    open_one = lambda: streaming.open_generation(rpc, chat_pb2.GenerateRequest(), principal=me, timeout_s=5)  # noqa: E731
    first, second = await open_one(), await open_one()
    with pytest.raises(ResourceExhausted) as refused:
        await open_one()
    assert len(calls) == 2, "a refused stream never reaches chat"
    assert http_status(refused.value) == 429 and retry_after(refused.value, 429) == streaming.STREAM_RETRY_AFTER_S
    calls[0].finish()  # the call ended on its own (answer done): its slot is free, once
    first.cancel()
    third = await open_one()
    with pytest.raises(ResourceExhausted):
        await open_one()
    second.cancel()  # the client went away
    third.cancel()
    assert streaming.STREAM_SLOTS.open == 0
