"""The chat model registry in-process: CRUD per company, masking, live checks, the default upstream, Embed.

Alice is her company's admin, Bob an ordinary colleague, Mallory another company's admin. Every endpoint here
listens on loopback, so the registry runs with MESH_MODEL_ENDPOINT_NETWORKS=127.0.0.0/8, as an operator with
a self-hosted model server would set it; test_the_outbound_policy_applies_without_exceptions runs without.
"""

from __future__ import annotations

import contextlib
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import pytest_asyncio
import sqlalchemy as sa
import structlog.testing
from meshconsole.chat.v1 import chat_pb2, chat_pb2_grpc

from services.chat.app import build_chat
from services.chat.config import ChatSettings
from services.chat.generation.core import GenerationService
from services.chat.models.probe import scrub
from services.chat.records import ModelRecord
from services.kit import grpc_client
from services.kit.context import Principal
from services.kit.errors import MeshError, from_rpc_error
from services.kit.testing.credentials import credential_metadata
from services.kit.testing.openai_upstream import ScriptedUpstream, _vector
from services.kit.testing.servers import NatsServer, PostgresServer, ValkeyServer

ALICE = Principal(user_id=11, company_id=5, roles=("admin",))
BOB = Principal(user_id=12, company_id=5, roles=("user",))
CAROL = Principal(user_id=13, company_id=5, roles=("admin",))
MALLORY = Principal(user_id=66, company_id=9, roles=("admin",))
LOOPBACK = "127.0.0.0/8"
DEFAULT_MODEL = "mesh-default-model"
DEFAULT_KEY = "sk-platform-secret-0123456789"
PRIVATE_KEY = "sk-private-upstream-key-abcdef"
LLM, EMBEDDING, RERANK = chat_pb2.MODEL_TYPE_LLM, chat_pb2.MODEL_TYPE_EMBEDDING, chat_pb2.MODEL_TYPE_RERANK
AVAILABLE, UNAVAILABLE = chat_pb2.CONNECT_STATUS_AVAILABLE, chat_pb2.CONNECT_STATUS_UNAVAILABLE


class RegistryStub(chat_pb2_grpc.ModelRegistryServiceStub):
    """The registry's RPCs plus Generate, to check that generation uses what the registry stored."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        super().__init__(channel)
        self.Generate = chat_pb2_grpc.GenerationServiceStub(channel).Generate


Chat = tuple[GenerationService, RegistryStub]


@pytest.fixture(scope="module")
def default_upstream() -> Iterator[ScriptedUpstream]:
    """The platform's default provider (OPENAI_BASE_URL), which checks its key."""
    with ScriptedUpstream(models=(DEFAULT_MODEL, "bge-m3-embed", "second-llm"), api_key=DEFAULT_KEY) as server:
        yield server


@pytest.fixture(scope="module")
def private_upstream() -> Iterator[ScriptedUpstream]:
    """A company's own endpoint with its own key."""
    with ScriptedUpstream(models=("private-llm", "private-rerank"), api_key=PRIVATE_KEY) as server:
        yield server


@pytest.fixture(scope="module")
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def running_chat(
    tmp_path: Path, nats: NatsServer, valkey: ValkeyServer, *, database_url: str = "", **overrides: Any
) -> AsyncIterator[Chat]:
    settings = ChatSettings(
        data_dir=tmp_path,
        database_url=database_url or f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}",
        nats_url=nats.url,
        redis_url=valkey.url,
        secret_key="chat-registry-" + uuid.uuid4().hex,
        apps_addr="127.0.0.1:9",
        chat_verify_timeout_s=1.5,
        **overrides,
    )
    process, generation = await build_chat(settings, address="127.0.0.1:0")
    await process.server.start()
    channel = grpc_client.create_channel(f"127.0.0.1:{process.port}")
    try:
        yield generation, RegistryStub(channel)
    finally:
        await channel.close()
        await process.server.stop(1)
        for hook in process.on_shutdown:
            await hook()


@pytest_asyncio.fixture(loop_scope="session")
async def chat(
    default_upstream: ScriptedUpstream, tmp_path: Path, nats_server: NatsServer, valkey_server: ValkeyServer
) -> AsyncIterator[Chat]:
    default_upstream.reset()
    env = {"openai_base_url": default_upstream.base_url, "openai_api_key": DEFAULT_KEY, "default_model": DEFAULT_MODEL}
    async with running_chat(tmp_path, nats_server, valkey_server, model_endpoint_networks=LOOPBACK, **env) as running:
        yield running


def md(principal: Principal = ALICE) -> tuple[tuple[str, str], ...]:
    return credential_metadata(principal)


async def fails(call: Any) -> MeshError:
    """The MeshError a call raised (it must raise)."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return from_rpc_error(caught.value)


def entry(name: str, upstream: ScriptedUpstream, **fields: Any) -> chat_pb2.CreateModelRequest:
    values: dict[str, Any] = {"model_type": LLM, "base_url": upstream.base_url, "api_key": PRIVATE_KEY, **fields}
    return chat_pb2.CreateModelRequest(model=chat_pb2.ModelEntry(model_name=name, **values))


async def rows(generation: GenerationService) -> list[ModelRecord]:
    async with generation.registry.sessions() as session:
        return list((await session.execute(sa.select(ModelRecord).order_by(ModelRecord.created_at))).scalars())


async def test_crud_round_trip_masks_the_key_and_encrypts_it_at_rest(
    chat: Chat, private_upstream: ScriptedUpstream
) -> None:
    generation, stub = chat
    created = await stub.CreateModel(
        entry("private-llm", private_upstream, display_name="Private", max_tokens=4096), metadata=md()
    )
    assert (created.model_name, created.display_name, created.model_type) == ("private-llm", "Private", LLM)
    assert (created.base_url, created.max_tokens, created.provider) == (
        private_upstream.base_url,
        4096,
        "openai_api_compatible",
    )
    assert created.api_key == "sk-p******cdef" and not created.is_platform
    assert created.connect_status == chat_pb2.CONNECT_STATUS_NOT_DETECTED and len(created.model_id) == 32

    stored = next(r for r in await rows(generation) if r.id == created.model_id)
    assert PRIVATE_KEY not in stored.api_key_encrypted and stored.company_id == 5 and stored.user_id == 11
    assert generation.registry.box.decrypt(stored.api_key_encrypted) == PRIVATE_KEY

    listed = (await stub.ListModels(chat_pb2.ListModelsRequest(), metadata=md(BOB))).models
    assert [(m.model_name, m.is_platform) for m in listed] == [(DEFAULT_MODEL, True), ("private-llm", False)]
    assert listed[0].api_key == "********" and listed[0].base_url.endswith("/v1")
    assert all(PRIVATE_KEY not in str(m) and DEFAULT_KEY not in str(m) for m in listed)
    only_llm = await stub.ListModels(chat_pb2.ListModelsRequest(model_type=EMBEDDING), metadata=md())
    assert list(only_llm.models) == []

    # Echoing the masked key back keeps the real one; other fields change and the old check is void.
    update = chat_pb2.UpdateModelRequest(model_name="private-llm", display_name="Renamed", api_key=created.api_key)
    updated = await stub.UpdateModel(update, metadata=md())
    assert (updated.display_name, updated.api_key, updated.max_tokens) == ("Renamed", "sk-p******cdef", 4096)
    stored = next(r for r in await rows(generation) if r.id == created.model_id)
    assert generation.registry.box.decrypt(stored.api_key_encrypted) == PRIVATE_KEY
    private = chat_pb2.UpdateModelRequest(model_name="private-llm", base_url="http://10.0.0.7:8000/v1/")
    refused = await fails(stub.UpdateModel(private, metadata=md()))
    assert (refused.code, refused.field, refused.reason) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "base_url",
        "base_url_not_allowed",
    )
    moved = chat_pb2.UpdateModelRequest(model_name="private-llm", base_url="http://127.0.0.7:8000/v1/", max_tokens=1)
    moved_entry = await stub.UpdateModel(moved, metadata=md())
    assert (moved_entry.base_url, moved_entry.max_tokens) == ("http://127.0.0.7:8000/v1", 1)
    status = chat_pb2.UpdateModelRequest(model_name="private-llm", connect_status=AVAILABLE)
    assert (await stub.UpdateModel(status, metadata=md())).connect_status == AVAILABLE
    got = await stub.GetModel(chat_pb2.GetModelRequest(model_name="private-llm"), metadata=md(BOB))
    assert (got.model_id, got.connect_status, got.display_name) == (created.model_id, AVAILABLE, "Renamed")

    await stub.DeleteModel(chat_pb2.DeleteModelRequest(model_name="private-llm"), metadata=md())
    gone = await fails(stub.GetModel(chat_pb2.GetModelRequest(model_name="private-llm"), metadata=md()))
    assert (gone.code, gone.reason) == (grpc.StatusCode.NOT_FOUND, "model_not_found")
    assert [r.model_name for r in await rows(generation)] == [DEFAULT_MODEL]


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"model_name": "   "}, "model_name", "invalid_model_name"),
        ({"model_name": "x" * 129}, "model_name", "invalid_model_name"),
        ({"model_type": 99}, "model_type", "invalid_model_type"),
        ({"base_url": "ftp://models.example.com/v1"}, "base_url", "invalid_base_url"),
        ({"base_url": "file:///etc/passwd"}, "base_url", "invalid_base_url"),
        ({"base_url": "not a url"}, "base_url", "invalid_base_url"),
        ({"base_url": "http://user:pw@models.example.com/v1"}, "base_url", "invalid_base_url"),
        ({"max_tokens": -1}, "max_tokens", "invalid_param"),
        ({"embedding_dim": -5}, "embedding_dim", "invalid_param"),
    ],
)
async def test_bad_input_names_its_field(
    chat: Chat, private_upstream: ScriptedUpstream, fields: dict[str, Any], field: str, reason: str
) -> None:
    generation, stub = chat
    name = fields.pop("model_name", "some-model")
    error = await fails(stub.CreateModel(entry(name, private_upstream, **fields), metadata=md()))
    assert (error.code, error.field, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, field, reason)
    assert [r.model_name for r in await rows(generation)] == [DEFAULT_MODEL]


async def test_duplicate_names_conflict_within_a_company_only(chat: Chat, private_upstream: ScriptedUpstream) -> None:
    _, stub = chat
    await stub.CreateModel(entry("shared-name", private_upstream), metadata=md())
    duplicate = await fails(stub.CreateModel(entry("shared-name", private_upstream), metadata=md(CAROL)))
    assert (duplicate.code, duplicate.field, duplicate.reason) == (
        grpc.StatusCode.ALREADY_EXISTS,
        "model_name",
        "model_already_exists",
    )
    other = await stub.CreateModel(
        entry("shared-name", private_upstream, display_name="Mallory's"), metadata=md(MALLORY)
    )
    assert other.display_name == "Mallory's"


async def test_another_companys_model_does_not_exist_for_you(chat: Chat, private_upstream: ScriptedUpstream) -> None:
    generation, stub = chat
    await stub.CreateModel(entry("alice-only", private_upstream), metadata=md())
    calls = [
        stub.GetModel(chat_pb2.GetModelRequest(model_name="alice-only"), metadata=md(MALLORY)),
        stub.UpdateModel(chat_pb2.UpdateModelRequest(model_name="alice-only", display_name="x"), metadata=md(MALLORY)),
        stub.DeleteModel(chat_pb2.DeleteModelRequest(model_name="alice-only"), metadata=md(MALLORY)),
        stub.CheckModelHealth(chat_pb2.CheckModelHealthRequest(model_name="alice-only"), metadata=md(MALLORY)),
        stub.Embed(chat_pb2.EmbedRequest(model_name="alice-only", inputs=["x"]), metadata=md(MALLORY)),
    ]
    for call in calls:
        error = await fails(call)
        assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "model_not_found")
    listed = await stub.ListModels(chat_pb2.ListModelsRequest(), metadata=md(MALLORY))
    assert [m.model_name for m in listed.models] == [DEFAULT_MODEL]
    stored = next(r for r in await rows(generation) if r.model_name == "alice-only")
    assert (stored.display_name, stored.connect_status) == ("alice-only", "not_detected")


async def test_the_platform_default_is_visible_but_read_only(chat: Chat, default_upstream: ScriptedUpstream) -> None:
    generation, stub = chat
    platform = await stub.GetModel(chat_pb2.GetModelRequest(model_name=DEFAULT_MODEL), metadata=md(MALLORY))
    assert platform.is_platform and platform.is_default and platform.api_key == "********"
    for call in (
        stub.UpdateModel(
            chat_pb2.UpdateModelRequest(model_name=DEFAULT_MODEL, base_url="http://evil/v1"), metadata=md()
        ),
        stub.UpdateModel(
            chat_pb2.UpdateModelRequest(model_name=DEFAULT_MODEL, connect_status=UNAVAILABLE), metadata=md()
        ),
        stub.DeleteModel(chat_pb2.DeleteModelRequest(model_name=DEFAULT_MODEL), metadata=md()),
    ):
        error = await fails(call)
        assert (error.code, error.reason) == (grpc.StatusCode.PERMISSION_DENIED, "platform_model_read_only")
        assert "OPENAI_BASE_URL" in error.message
    stored = await generation.registry.platform_default()
    assert stored is not None and (stored.base_url, stored.connect_status) == (
        default_upstream.base_url,
        "not_detected",
    )
    # A live check of the platform entry is the service's own write, so it is recorded.
    health = await stub.CheckModelHealth(chat_pb2.CheckModelHealthRequest(model_name=DEFAULT_MODEL), metadata=md())
    assert (health.connected, health.connect_status) == (True, AVAILABLE)
    sent = default_upstream.chat_requests()[-1]
    assert sent.body["max_tokens"] == 1 and sent.headers["authorization"] == f"Bearer {DEFAULT_KEY}"
    again = await stub.GetModel(chat_pb2.GetModelRequest(model_name=DEFAULT_MODEL), metadata=md(MALLORY))
    assert again.connect_status == AVAILABLE


async def test_healthcheck_records_the_outcome(chat: Chat, private_upstream: ScriptedUpstream) -> None:
    _, stub = chat
    await stub.CreateModel(entry("private-llm", private_upstream), metadata=md())
    await stub.CreateModel(entry("wrong-key", private_upstream, api_key="sk-wrong-key-123456789"), metadata=md())
    await stub.CreateModel(entry("private-rerank", private_upstream, model_type=RERANK), metadata=md())
    await stub.CreateModel(entry("missing-rerank", private_upstream, model_type=RERANK), metadata=md())
    expected = {
        "private-llm": (True, AVAILABLE, "Connection successful"),
        "wrong-key": (False, UNAVAILABLE, "the endpoint answered HTTP 401"),
        "private-rerank": (True, AVAILABLE, "Connection successful"),
        "missing-rerank": (False, UNAVAILABLE, "model 'missing-rerank' is not among the 2 models the upstream serves"),
    }
    for name, outcome in expected.items():
        health = await stub.CheckModelHealth(chat_pb2.CheckModelHealthRequest(model_name=name), metadata=md())
        assert (health.connected, health.connect_status, health.desc) == outcome
        assert "sk-wrong-key-123456789" not in health.desc
        stored = await stub.GetModel(chat_pb2.GetModelRequest(model_name=name), metadata=md(BOB))
        assert stored.connect_status == outcome[1]


async def test_verify_config_checks_for_real_and_saves_nothing(
    chat: Chat, private_upstream: ScriptedUpstream, silent_port: int
) -> None:
    generation, stub = chat
    before = len(private_upstream.chat_requests())

    def verify(**fields: Any) -> Any:
        values = {"model_name": "private-llm", "model_type": LLM, "base_url": private_upstream.base_url, **fields}
        return stub.VerifyModelConfig(chat_pb2.VerifyModelConfigRequest(**values), metadata=md())

    good = await verify(api_key=PRIVATE_KEY)
    assert (good.connectivity, good.connect_status, good.message) == (True, AVAILABLE, "Connection successful")
    assert len(private_upstream.chat_requests()) == before + 1
    assert private_upstream.chat_requests()[-1].body["model"] == "private-llm"

    # Only a status comes back: never the remote's own words (here "invalid api key") nor its address.
    bad_key = await verify(api_key="sk-not-the-right-key-42")
    assert (bad_key.connectivity, bad_key.connect_status, bad_key.message) == (
        False,
        UNAVAILABLE,
        "the endpoint answered HTTP 401",
    )
    refused = await verify(base_url=f"http://127.0.0.1:{closed_port()}/v1")
    assert (refused.connectivity, refused.message) == (False, "connection failed")

    started = time.monotonic()
    silent = await verify(base_url=f"http://127.0.0.1:{silent_port}/v1", timeout_seconds=60)
    assert time.monotonic() - started < 4.0  # capped at chat_verify_timeout_s (1.5 s) whatever was asked
    assert (silent.connectivity, silent.message) == (False, "the endpoint did not answer within 1.5s")

    embedding = await verify(model_type=EMBEDDING, model_name="any-embedder", embedding_dim=16)
    assert embedding.connectivity
    wrong_dim = await verify(model_type=EMBEDDING, model_name="any-embedder", embedding_dim=768)
    assert (wrong_dim.connectivity, wrong_dim.message) == (
        False,
        "embedding_dim is 768 but the upstream returns 16-dim vectors",
    )
    scheme = await fails(verify(base_url="gopher://127.0.0.1:70/"))
    assert (scheme.code, scheme.field) == (grpc.StatusCode.INVALID_ARGUMENT, "base_url")
    nameless = await fails(verify(model_name=""))
    assert (nameless.code, nameless.field) == (grpc.StatusCode.INVALID_ARGUMENT, "model_name")
    assert [r.model_name for r in await rows(generation)] == [DEFAULT_MODEL]


async def test_default_upstream_models_and_health(chat: Chat, default_upstream: ScriptedUpstream) -> None:
    _, stub = chat
    listed = await stub.ListUpstreamModels(chat_pb2.ListUpstreamModelsRequest(), metadata=md())
    assert [(m.id, m.name, m.type, m.description) for m in listed.models] == [
        (DEFAULT_MODEL, DEFAULT_MODEL, "llm", "owned by mesh-test"),
        ("bge-m3-embed", "bge-m3-embed", "embedding", "owned by mesh-test"),
        ("second-llm", "second-llm", "llm", "owned by mesh-test"),
    ]
    embedders = await stub.ListUpstreamModels(chat_pb2.ListUpstreamModelsRequest(type="embedding"), metadata=md())
    assert [m.id for m in embedders.models] == ["bge-m3-embed"]

    endpoint = await stub.CheckUpstreamHealth(chat_pb2.CheckUpstreamHealthRequest(), metadata=md())
    assert (endpoint.connected, endpoint.desc, endpoint.connect_status) == (True, "Connection successful", AVAILABLE)
    served = await stub.CheckUpstreamHealth(chat_pb2.CheckUpstreamHealthRequest(model_name="second-llm"), metadata=md())
    assert served.connected and default_upstream.chat_requests()[-1].body["model"] == "second-llm"
    embedder = await stub.CheckUpstreamHealth(
        chat_pb2.CheckUpstreamHealthRequest(model_name="bge-m3-embed"), metadata=md()
    )
    assert embedder.connected and default_upstream.requests[-1].path == "/v1/embeddings"
    unknown = await stub.CheckUpstreamHealth(chat_pb2.CheckUpstreamHealthRequest(model_name="nope"), metadata=md())
    assert (unknown.connected, unknown.desc) == (False, "model 'nope' is not served by the default upstream")


async def test_embed_uses_the_companys_embedding_entry(
    chat: Chat, default_upstream: ScriptedUpstream, private_upstream: ScriptedUpstream
) -> None:
    _, stub = chat
    none = await fails(stub.Embed(chat_pb2.EmbedRequest(inputs=["hello"]), metadata=md()))
    assert (none.code, none.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "embedding_model_not_configured")
    llm = await fails(stub.Embed(chat_pb2.EmbedRequest(model_name=DEFAULT_MODEL, inputs=["x"]), metadata=md()))
    assert (llm.code, llm.reason, llm.field) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "not_an_embedding_model",
        "model_name",
    )

    await stub.CreateModel(entry("embedder", private_upstream, model_type=EMBEDDING, embedding_dim=16), metadata=md())
    texts = [f"text number {i}" for i in range(70)]  # more than one upstream batch
    reply = await stub.Embed(chat_pb2.EmbedRequest(inputs=texts), metadata=md(BOB))
    assert (reply.model_name, reply.dim, len(reply.embeddings)) == ("embedder", 16, 70)
    for text, vector in zip(texts, reply.embeddings, strict=True):
        assert list(vector.values) == pytest.approx(_vector(text, 16), abs=1e-6)
    calls = [r for r in private_upstream.requests if r.path == "/v1/embeddings"][-2:]
    assert [len(r.body["input"]) for r in calls] == [64, 6]
    assert calls[0].headers["authorization"] == f"Bearer {PRIVATE_KEY}"

    named = await stub.Embed(chat_pb2.EmbedRequest(model_name="embedder", inputs=["one"]), metadata=md())
    assert list(named.embeddings[0].values) == pytest.approx(_vector("one", 16), abs=1e-6)
    empty = await fails(stub.Embed(chat_pb2.EmbedRequest(inputs=[]), metadata=md()))
    assert (empty.code, empty.field) == (grpc.StatusCode.INVALID_ARGUMENT, "inputs")
    mallory = await fails(stub.Embed(chat_pb2.EmbedRequest(inputs=["x"]), metadata=md(MALLORY)))
    assert mallory.reason == "embedding_model_not_configured"

    # The company's default embedding entry wins over the oldest one; setting a new default clears the old.
    second = entry("second-embedder", default_upstream, model_type=EMBEDDING, api_key=DEFAULT_KEY, is_default=True)
    await stub.CreateModel(second, metadata=md())
    chosen = await stub.Embed(chat_pb2.EmbedRequest(inputs=["y"]), metadata=md())
    assert chosen.model_name == "second-embedder" and default_upstream.requests[-1].body["model"] == "second-embedder"
    await stub.UpdateModel(chat_pb2.UpdateModelRequest(model_name="embedder", is_default=True), metadata=md())
    flags = {
        m.model_name: m.is_default for m in (await stub.ListModels(chat_pb2.ListModelsRequest(), metadata=md())).models
    }
    assert (flags["embedder"], flags["second-embedder"]) == (True, False)
    assert (await stub.Embed(chat_pb2.EmbedRequest(inputs=["y"]), metadata=md())).model_name == "embedder"
    wrong_dim = chat_pb2.UpdateModelRequest(model_name="embedder", embedding_dim=768)
    await stub.UpdateModel(wrong_dim, metadata=md())
    mismatch = await fails(stub.Embed(chat_pb2.EmbedRequest(inputs=["y"]), metadata=md()))
    assert (mismatch.code, mismatch.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "embedding_dim_mismatch")


def test_check_messages_never_carry_the_key() -> None:
    echoed = "Error code: 401 - Incorrect API key provided: sk-live-123456789. " + "x" * 400
    cleaned = scrub(echoed, "sk-live-123456789")
    assert "sk-live-123456789" not in cleaned and "****" in cleaned and len(cleaned) == 300


async def test_generation_uses_a_registered_model_with_its_key(chat: Chat, private_upstream: ScriptedUpstream) -> None:
    _, stub = chat
    await stub.CreateModel(entry("llm", private_upstream, model_repo="private"), metadata=md())
    call = stub.Generate(chat_pb2.GenerateRequest(query="hi", model="llm"), metadata=md())
    events = [event async for event in call]
    assert events[-1].WhichOneof("event") == "message_end"
    sent = private_upstream.chat_requests()[-1]
    assert sent.body["model"] == "private/llm" and sent.headers["authorization"] == f"Bearer {PRIVATE_KEY}"
    health = await stub.CheckModelHealth(chat_pb2.CheckModelHealthRequest(model_name="llm"), metadata=md())
    assert health.connected and private_upstream.chat_requests()[-1].body["model"] == "private/llm"
    other = await fails(stub.GetModel(chat_pb2.GetModelRequest(model_name="private/llm"), metadata=md()))
    assert other.code == grpc.StatusCode.NOT_FOUND


async def test_an_entry_without_base_url_is_served_by_the_default_upstream(
    chat: Chat, default_upstream: ScriptedUpstream
) -> None:
    _, stub = chat
    created = await stub.CreateModel(
        chat_pb2.CreateModelRequest(model=chat_pb2.ModelEntry(model_name="second-llm")), metadata=md()
    )
    assert (created.base_url, created.api_key, created.model_type, created.display_name) == ("", "", LLM, "second-llm")
    health = await stub.CheckModelHealth(chat_pb2.CheckModelHealthRequest(model_name="second-llm"), metadata=md())
    assert health.connected
    sent = default_upstream.chat_requests()[-1]
    assert sent.body["model"] == "second-llm" and sent.headers["authorization"] == f"Bearer {DEFAULT_KEY}"


async def test_keys_never_reach_the_logs(chat: Chat, private_upstream: ScriptedUpstream) -> None:
    _, stub = chat
    with structlog.testing.capture_logs() as logs:
        await stub.CreateModel(entry("logged", private_upstream), metadata=md())
        await stub.VerifyModelConfig(
            chat_pb2.VerifyModelConfigRequest(
                model_name="x", base_url=private_upstream.base_url, api_key="sk-bad-00000"
            ),
            metadata=md(),
        )
        await fails(stub.CreateModel(entry("logged", private_upstream), metadata=md()))
    text = repr(logs)
    assert logs and PRIVATE_KEY not in text and "sk-bad-00000" not in text and DEFAULT_KEY not in text


async def test_without_a_provider_the_answers_are_clear(
    tmp_path: Path, nats_server: NatsServer, valkey_server: ValkeyServer
) -> None:
    async with running_chat(tmp_path, nats_server, valkey_server) as (generation, stub):
        assert await rows(generation) == []
        listed = await fails(stub.ListUpstreamModels(chat_pb2.ListUpstreamModelsRequest(), metadata=md()))
        assert (listed.code, listed.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "model_not_configured")
        assert "OPENAI_BASE_URL" in listed.message
        health = await stub.CheckUpstreamHealth(chat_pb2.CheckUpstreamHealthRequest(), metadata=md())
        assert (health.connected, health.connect_status) == (False, UNAVAILABLE) and "OPENAI_BASE_URL" in health.desc
        no_url = await fails(
            stub.CreateModel(chat_pb2.CreateModelRequest(model=chat_pb2.ModelEntry(model_name="m")), metadata=md())
        )
        assert (no_url.code, no_url.field) == (grpc.StatusCode.INVALID_ARGUMENT, "base_url")
        generate = await fails(stub.Generate(chat_pb2.GenerateRequest(query="x"), metadata=md()).read())
        assert (generate.code, generate.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "model_not_configured")


async def test_the_platform_entry_keeps_its_id_and_follows_the_env(chat: Chat) -> None:
    generation, _ = chat
    registry = generation.registry
    first = await registry.platform_default()
    assert first is not None
    await registry.sync_platform_default()
    same = await registry.platform_default()
    assert same is not None and same.id == first.id
    registry.settings.default_model = "renamed-default"
    try:
        await registry.sync_platform_default()
        renamed = await registry.platform_default()
        assert renamed is not None and (renamed.id, renamed.model_name) == (first.id, "renamed-default")
        registry.settings.openai_base_url = ""
        await registry.sync_platform_default()
        assert await registry.platform_default() is None
    finally:
        registry.settings.default_model = DEFAULT_MODEL


async def test_postgres_enforces_the_same_rules(
    tmp_path: Path,
    nats_server: NatsServer,
    valkey_server: ValkeyServer,
    postgres_server: PostgresServer,
    private_upstream: ScriptedUpstream,
) -> None:
    name = f"chat_registry_{uuid.uuid4().hex[:10]}"
    url = await postgres_server.create_database(name)
    try:
        running = running_chat(tmp_path, nats_server, valkey_server, database_url=url, model_endpoint_networks=LOOPBACK)
        async with running as (generation, stub):
            created = await stub.CreateModel(entry("pg-model", private_upstream), metadata=md())
            duplicate = await fails(stub.CreateModel(entry("pg-model", private_upstream), metadata=md(CAROL)))
            assert duplicate.code == grpc.StatusCode.ALREADY_EXISTS
            await stub.CreateModel(entry("pg-model", private_upstream), metadata=md(MALLORY))
            health = await stub.CheckModelHealth(chat_pb2.CheckModelHealthRequest(model_name="pg-model"), metadata=md())
            assert health.connected
            got = await stub.GetModel(chat_pb2.GetModelRequest(model_name="pg-model"), metadata=md())
            assert (got.model_id, got.connect_status, got.api_key) == (created.model_id, AVAILABLE, "sk-p******cdef")
            assert len(await rows(generation)) == 2
    finally:
        await postgres_server.drop_database(name)
