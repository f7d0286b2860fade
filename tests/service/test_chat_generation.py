"""The chat streaming core in-process: tokens, persistence, stop, disconnect, upstream failures."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
import sqlalchemy as sa
from meshconsole.chat.v1 import chat_pb2, chat_pb2_grpc

from services.chat.app import build_chat
from services.chat.config import ChatSettings
from services.chat.generation.core import GenerationService
from services.chat.records import MessageRecord
from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.errors import from_rpc_error
from services.kit.service_main import ServiceProcess
from services.kit.testing.credentials import credential_metadata
from services.kit.testing.openai_upstream import Script, ScriptedUpstream
from services.kit.testing.servers import NatsServer, ValkeyServer

ALICE = Principal(user_id=11, company_id=5, roles=("user",))
MALLORY = Principal(user_id=66, company_id=9, roles=("user",))


@pytest.fixture(scope="module")
def upstream() -> AsyncIterator[ScriptedUpstream]:
    with ScriptedUpstream(models=("mesh-test-model", "other-model")) as server:
        yield server  # type: ignore[misc]


@pytest_asyncio.fixture(loop_scope="session")
async def chat(
    upstream: ScriptedUpstream, tmp_path: Path, nats_server: NatsServer, valkey_server: ValkeyServer
) -> AsyncIterator[tuple[ServiceProcess, GenerationService, chat_pb2_grpc.GenerationServiceStub]]:
    upstream.reset()
    settings = ChatSettings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}",
        nats_url=nats_server.url,
        redis_url=valkey_server.url,
        secret_key="chat-test-" + uuid.uuid4().hex,
        openai_base_url=upstream.base_url,
        openai_api_key="test-key",
        default_model="mesh-test-model",
        apps_addr="127.0.0.1:9",  # unused: these turns run without an app
    )
    process, generation = await build_chat(settings, address="127.0.0.1:0")
    await process.server.start()
    channel = grpc_client.create_channel(f"127.0.0.1:{process.port}")
    try:
        yield process, generation, chat_pb2_grpc.GenerationServiceStub(channel)
    finally:
        await channel.close()
        await process.server.stop(1)
        for hook in process.on_shutdown:
            await hook()


def _md(principal: Principal = ALICE) -> tuple[tuple[str, str], ...]:
    return credential_metadata(principal)


async def _message(generation: GenerationService, message_id: str) -> MessageRecord:
    async with generation.store.sessions() as session:
        return (await session.execute(sa.select(MessageRecord).where(MessageRecord.id == message_id))).scalar_one()


async def _drain(call: grpc.aio.UnaryStreamCall) -> list[chat_pb2.GenerateEvent]:
    events = []
    while (event := await call.read()) is not grpc.aio.EOF:
        events.append(event)
    return events


async def test_tokens_stream_in_order_and_the_message_is_saved(chat, upstream: ScriptedUpstream) -> None:  # type: ignore[no-untyped-def]
    _, generation, stub = chat
    upstream.push(Script(chunks=["Hel", "lo", " world"], reasoning=["thinking..."], prompt_tokens=7))
    events = await _drain(stub.Generate(chat_pb2.GenerateRequest(query="hi there"), metadata=_md()))
    kinds = [e.WhichOneof("event") for e in events]
    # Deltas that arrive while a write is in flight are merged, so only the order of kinds is fixed.
    collapsed = [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k]
    assert collapsed == ["message_start", "reasoning_delta", "text_delta", "message_end"]
    assert "".join(e.text_delta.text for e in events) == "Hello world"
    end = events[-1].message_end
    assert (end.usage.prompt_tokens, end.usage.completion_tokens, end.finish_reason) == (7, 4, "stop")
    assert len({(e.task_id, e.message_id, e.conversation_id) for e in events}) == 1
    saved = await _message(generation, events[0].message_id)
    assert (saved.answer, saved.reasoning, saved.status, saved.query) == (
        "Hello world",
        "thinking...",
        "normal",
        "hi there",
    )
    assert saved.latency_s > 0 and saved.first_token_s > 0
    sent = upstream.chat_requests()[-1].body
    assert sent["model"] == "mesh-test-model" and sent["messages"][-1] == {"role": "user", "content": "hi there"}


async def test_history_is_sent_on_the_next_turn_and_tenancy_holds(chat, upstream: ScriptedUpstream) -> None:  # type: ignore[no-untyped-def]
    _, _, stub = chat
    upstream.push(Script(chunks=["first answer"]), Script(chunks=["second answer"]))
    first = await _drain(stub.Generate(chat_pb2.GenerateRequest(query="first question"), metadata=_md()))
    conversation_id = first[0].conversation_id
    await _drain(
        stub.Generate(chat_pb2.GenerateRequest(query="second", conversation_id=conversation_id), metadata=_md())
    )
    messages = upstream.chat_requests()[-1].body["messages"]
    assert messages[-3:] == [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "second"},
    ]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _drain(
            stub.Generate(chat_pb2.GenerateRequest(query="x", conversation_id=conversation_id), metadata=_md(MALLORY))
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_stop_saves_the_partial_answer(chat, upstream: ScriptedUpstream) -> None:  # type: ignore[no-untyped-def]
    _, generation, stub = chat
    upstream.push(Script(chunks=["part"] * 200, delay_s=0.05))
    call = stub.Generate(chat_pb2.GenerateRequest(query="long"), metadata=_md())
    start = await call.read()
    await call.read()
    with pytest.raises(grpc.aio.AioRpcError) as foreign:
        await stub.StopGeneration(chat_pb2.StopGenerationRequest(task_id=start.task_id), metadata=_md(MALLORY))
    assert foreign.value.code() == grpc.StatusCode.NOT_FOUND
    stopped_at = asyncio.get_running_loop().time()
    reply = await stub.StopGeneration(chat_pb2.StopGenerationRequest(task_id=start.task_id), metadata=_md())
    assert reply.stopped
    rest = await _drain(call)
    assert asyncio.get_running_loop().time() - stopped_at < 1.0
    assert rest[-1].message_end.finish_reason == "stopped"
    saved = await _message(generation, start.message_id)
    assert saved.status == "stopped" and saved.answer.startswith("part") and len(saved.answer) < 800
    await asyncio.sleep(0.2)
    assert upstream.chat_requests()[-1].cancelled


async def test_client_cancel_cancels_the_upstream_and_keeps_the_partial(chat, upstream: ScriptedUpstream) -> None:  # type: ignore[no-untyped-def]
    _, generation, stub = chat
    upstream.push(Script(chunks=["tok"] * 200, delay_s=0.05))
    call = stub.Generate(chat_pb2.GenerateRequest(query="cancel me"), metadata=_md())
    start = await call.read()
    await call.read()
    call.cancel()
    for _ in range(50):
        await asyncio.sleep(0.1)
        if upstream.chat_requests()[-1].cancelled:
            break
    assert upstream.chat_requests()[-1].cancelled
    saved = await _message(generation, start.message_id)
    assert saved.status == "stopped" and saved.answer.startswith("tok")


async def test_upstream_failure_before_the_first_token_fails_the_call(chat, upstream: ScriptedUpstream) -> None:  # type: ignore[no-untyped-def]
    _, _, stub = chat
    upstream.push(Script(status=503, error_message="model overloaded"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _drain(stub.Generate(chat_pb2.GenerateRequest(query="x"), metadata=_md()))
    error = from_rpc_error(caught.value)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "model overloaded" in error.message and error.reason == "upstream_error"


async def test_failure_after_the_first_token_is_an_error_event(chat, upstream: ScriptedUpstream) -> None:  # type: ignore[no-untyped-def]
    _, generation, stub = chat
    upstream.push(Script(chunks=["a", "b", "c", "d"], fail_after=2))
    events = await _drain(stub.Generate(chat_pb2.GenerateRequest(query="x"), metadata=_md()))
    assert events[-1].WhichOneof("event") == "error"
    saved = await _message(generation, events[0].message_id)
    assert (saved.status, saved.answer) == ("error", "ab")


async def test_no_provider_is_a_clear_error(chat) -> None:  # type: ignore[no-untyped-def]
    _, generation, stub = chat
    generation.registry.settings.openai_base_url = ""
    await generation.registry.sync_platform_default()
    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _drain(stub.Generate(chat_pb2.GenerateRequest(query="x"), metadata=_md()))
        assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "OPENAI_BASE_URL" in caught.value.details()
    finally:
        generation.registry.settings.openai_base_url = "restored"


async def test_gateway_stream_sends_keepalives_while_the_upstream_is_silent(chat, upstream: ScriptedUpstream) -> None:  # type: ignore[no-untyped-def]
    from gateway.streaming import open_generation

    _, _, stub = chat
    upstream.push(Script(chunks=["late"], first_token_delay_s=0.0, delay_s=1.0))
    stream = await open_generation(
        stub.Generate, chat_pb2.GenerateRequest(query="slow"), principal=ALICE, timeout_s=30, commit_after_s=0.2
    )
    assert stream.first.WhichOneof("event") == "message_start"  # the response may start before the answer
    seen: list[str] = []
    async for batch in stream.batches(keepalive_s=0.2):
        if batch is None:
            seen.append("ping")
            continue
        seen.extend(item.WhichOneof("event") for item in batch)
    stream.cancel()
    assert "ping" in seen
    assert seen.index("ping") < seen.index("text_delta") and seen[-1] == "message_end"


async def test_ephemeral_turns_store_nothing(chat, upstream: ScriptedUpstream) -> None:  # type: ignore[no-untyped-def]
    _, generation, stub = chat
    upstream.push(Script(chunks=["Q: a? A: b."]))
    events = await _drain(stub.Generate(chat_pb2.GenerateRequest(query="expand", ephemeral=True), metadata=_md()))
    assert "".join(e.text_delta.text for e in events) == "Q: a? A: b."
    async with generation.store.sessions() as session:
        stored = await session.execute(sa.select(MessageRecord).where(MessageRecord.id == events[0].message_id))
        assert stored.first() is None
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Generate(
            chat_pb2.GenerateRequest(query="x", conversation_id=events[0].conversation_id), metadata=_md()
        ).read()
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
