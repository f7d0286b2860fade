"""Who may change the model registry, and where its endpoints may lead: admins only, through the outbound policy."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from meshconsole.chat.v1 import chat_pb2

from services.chat.records import ModelRecord
from services.kit.clock import utcnow
from services.kit.context import Principal
from services.kit.errors import from_rpc_error
from services.kit.testing.openai_upstream import ScriptedUpstream
from services.kit.testing.servers import NatsServer, ValkeyServer
from tests.service.test_chat_registry import (
    ALICE,
    BOB,
    DEFAULT_KEY,
    DEFAULT_MODEL,
    LLM,
    LOOPBACK,
    PRIVATE_KEY,
    Chat,
    entry,
    fails,
    md,
    rows,
    running_chat,
)

COMPANY_KEY = Principal(user_id=12, company_id=5, roles=("user",), kind="company_key")


@pytest.fixture
def company_upstream() -> Iterator[ScriptedUpstream]:
    """The company's own model server, registered by its admin."""
    with ScriptedUpstream(models=("company-llm",), api_key=PRIVATE_KEY) as server:
        yield server


@pytest.fixture
def elsewhere() -> Iterator[ScriptedUpstream]:
    """Where an ordinary user would like the company's chats to go."""
    with ScriptedUpstream(models=("company-llm", "takeover"), api_key="sk-elsewhere-0000") as server:
        yield server


@pytest_asyncio.fixture(loop_scope="session")
async def chat(
    default_upstream: ScriptedUpstream, tmp_path: Path, nats_server: NatsServer, valkey_server: ValkeyServer
) -> AsyncIterator[Chat]:
    env = {"openai_base_url": default_upstream.base_url, "openai_api_key": DEFAULT_KEY, "default_model": DEFAULT_MODEL}
    async with running_chat(tmp_path, nats_server, valkey_server, model_endpoint_networks=LOOPBACK, **env) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="session")
async def strict_chat(
    default_upstream: ScriptedUpstream, tmp_path: Path, nats_server: NatsServer, valkey_server: ValkeyServer
) -> AsyncIterator[Chat]:
    """A registry with no listed networks: only the OPENAI_BASE_URL origin is an exception."""
    env = {"openai_base_url": default_upstream.base_url, "openai_api_key": DEFAULT_KEY, "default_model": DEFAULT_MODEL}
    async with running_chat(tmp_path, nats_server, valkey_server, **env) as running:
        yield running


@pytest.fixture
def default_upstream() -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream(models=(DEFAULT_MODEL,), api_key=DEFAULT_KEY) as server:
        yield server


async def generate(chat: Chat, who: Principal) -> list[chat_pb2.GenerateEvent]:
    _, stub = chat
    call = stub.Generate(chat_pb2.GenerateRequest(query="hello"), metadata=md(who))
    return [event async for event in call]


async def test_ordinary_users_cannot_change_the_companys_models(
    chat: Chat, company_upstream: ScriptedUpstream, elsewhere: ScriptedUpstream
) -> None:
    generation, stub = chat
    await stub.CreateModel(entry("company-llm", company_upstream, is_default=True), metadata=md(ALICE))
    before = {(r.model_name, r.base_url, r.is_default, r.display_name) for r in await rows(generation)}

    takeover = entry("takeover", elsewhere, is_default=True)
    moved = chat_pb2.UpdateModelRequest(model_name="company-llm", base_url=elsewhere.base_url)
    demoted = chat_pb2.UpdateModelRequest(model_name="company-llm", is_default=False)
    status = chat_pb2.UpdateModelRequest(model_name="company-llm", connect_status=chat_pb2.CONNECT_STATUS_AVAILABLE)
    verify = chat_pb2.VerifyModelConfigRequest(model_name="takeover", model_type=LLM, base_url=elsewhere.base_url)
    for who in (BOB, COMPANY_KEY):
        for call in (
            stub.CreateModel(takeover, metadata=md(who)),
            stub.CreateModel(entry("company-wide", elsewhere), metadata=md(who)),
            stub.UpdateModel(moved, metadata=md(who)),
            stub.UpdateModel(demoted, metadata=md(who)),
            stub.UpdateModel(status, metadata=md(who)),
            stub.DeleteModel(chat_pb2.DeleteModelRequest(model_name="company-llm"), metadata=md(who)),
            stub.VerifyModelConfig(verify, metadata=md(who)),
        ):
            error = await fails(call)
            assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "model_admin_required")
            assert "admin" in error.message
    after = {(r.model_name, r.base_url, r.is_default, r.display_name) for r in await rows(generation)}
    assert after == before and elsewhere.requests == []

    # Bob still reads and uses what his admin registered: his chat goes to the company's default model.
    listed = await stub.ListModels(chat_pb2.ListModelsRequest(), metadata=md(BOB))
    assert [(m.model_name, m.is_default) for m in listed.models] == [(DEFAULT_MODEL, True), ("company-llm", True)]
    events = await generate(chat, BOB)
    assert events[-1].WhichOneof("event") == "message_end"
    assert company_upstream.chat_requests()[-1].body["model"] == "company-llm"
    health = await stub.CheckModelHealth(chat_pb2.CheckModelHealthRequest(model_name="company-llm"), metadata=md(BOB))
    assert health.connected and elsewhere.requests == []


async def test_admins_manage_the_company_default(chat: Chat, company_upstream: ScriptedUpstream) -> None:
    _, stub = chat
    await stub.CreateModel(entry("first", company_upstream), metadata=md(ALICE))
    await stub.CreateModel(entry("second", company_upstream, is_default=True), metadata=md(ALICE))
    await stub.UpdateModel(chat_pb2.UpdateModelRequest(model_name="first", is_default=True), metadata=md(ALICE))
    listed = await stub.ListModels(chat_pb2.ListModelsRequest(), metadata=md(BOB))
    assert {m.model_name: m.is_default for m in listed.models if not m.is_platform} == {"first": True, "second": False}
    await generate(chat, BOB)
    assert company_upstream.chat_requests()[-1].body["model"] == "first"
    await stub.DeleteModel(chat_pb2.DeleteModelRequest(model_name="first"), metadata=md(ALICE))
    listed = await stub.ListModels(chat_pb2.ListModelsRequest(), metadata=md(BOB))
    assert [m.model_name for m in listed.models] == [DEFAULT_MODEL, "second"]


@pytest.mark.parametrize(
    ("base_url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "base_url_not_allowed"),
        ("http://metadata.google.internal/computeMetadata/v1/", "base_url_not_allowed"),
        ("http://[fe80::1]:8000/v1", "base_url_not_allowed"),
        ("http://100.100.100.200/latest/", "base_url_not_allowed"),
        ("http://10.1.2.3:8000/v1", "base_url_not_allowed"),
        ("http://[::ffff:127.0.0.1]:{port}/v1", "base_url_not_allowed"),
        ("http://localhost:{port}/v1", "base_url_not_allowed"),
        ("http://2130706433:{port}/v1", "invalid_base_url"),
        ("http://127.0.0.1:99999/v1", "invalid_base_url"),
    ],
)
async def test_the_outbound_policy_applies_without_exceptions(
    strict_chat: Chat, company_upstream: ScriptedUpstream, base_url: str, reason: str
) -> None:
    generation, stub = strict_chat
    url = base_url.format(port=company_upstream.port)
    created = await fails(
        stub.CreateModel(entry(f"m-{uuid.uuid4().hex[:6]}", company_upstream, base_url=url), metadata=md())
    )
    verify = chat_pb2.VerifyModelConfigRequest(model_name="m", model_type=LLM, base_url=url, api_key=PRIVATE_KEY)
    verified = await fails(stub.VerifyModelConfig(verify, metadata=md()))
    for error in (created, verified):
        assert (error.code, error.field, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "base_url", reason)
    assert [r.model_name for r in await rows(generation)] == [DEFAULT_MODEL]
    assert company_upstream.requests == []


async def test_the_default_upstreams_origin_is_allowed_and_stored_entries_are_checked_at_connect_time(
    strict_chat: Chat, default_upstream: ScriptedUpstream, company_upstream: ScriptedUpstream
) -> None:
    generation, stub = strict_chat
    # Same scheme, host and port as OPENAI_BASE_URL: registering a second model there is allowed.
    await stub.CreateModel(entry(DEFAULT_MODEL + "-copy", default_upstream, api_key=DEFAULT_KEY), metadata=md())
    verify = chat_pb2.VerifyModelConfigRequest(
        model_name=DEFAULT_MODEL, model_type=LLM, base_url=default_upstream.base_url, api_key=DEFAULT_KEY
    )
    assert (await stub.VerifyModelConfig(verify, metadata=md())).connectivity

    # An entry stored before the policy (or behind a name that now resolves inside) never reaches its address.
    now = utcnow()
    async with generation.registry.sessions() as session, session.begin():
        session.add(
            ModelRecord(
                id=uuid.uuid4().hex,
                company_id=ALICE.company_id,
                user_id=ALICE.user_id,
                model_name="stale",
                model_type="llm",
                base_url=company_upstream.base_url,
                is_default=True,
                created_at=now,
                updated_at=now,
            )
        )
    generation.registry.invalidate()
    health = await stub.CheckModelHealth(chat_pb2.CheckModelHealthRequest(model_name="stale"), metadata=md())
    assert (health.connected, health.desc) == (False, "connection refused: the endpoint's address is not allowed")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in stub.Generate(chat_pb2.GenerateRequest(query="x", model="stale"), metadata=md()):
            pass
    error = from_rpc_error(caught.value)
    assert (error.code, error.reason) == (grpc.StatusCode.UNAVAILABLE, "upstream_unavailable")
    assert str(company_upstream.port) not in error.message
    assert company_upstream.requests == []
