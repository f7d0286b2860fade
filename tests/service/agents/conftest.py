"""Chat in-process with the real apps and files services, NATS, Valkey and the scripted upstream, for agent runs."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
import sqlalchemy as sa
from meshconsole.chat.v1 import chat_pb2, chat_pb2_grpc
from meshconsole.files.v1 import files_pb2_grpc

from services.apps.app import AppsProcess, build_apps
from services.apps.config import AppsSettings
from services.chat.app import build_chat
from services.chat.config import ChatSettings
from services.chat.generation.core import GenerationService
from services.chat.records import MessageRecord
from services.kit import grpc_client, mesh_tokens
from services.kit.context import Principal
from services.kit.mesh_tokens import CredentialSigner, MeshKeys, MeshSecurity
from services.kit.service_main import ServiceProcess
from services.kit.testing.credentials import TEST_SECRET, credential_metadata
from services.kit.testing.openai_upstream import ScriptedUpstream
from services.kit.testing.servers import NatsServer, ValkeyServer
from tests.service.files_support import FilesEnv, start_files, stop_files

ALICE = Principal(user_id=11, company_id=1)
CAROL = Principal(user_id=12, company_id=1)  # Alice's colleague
BOB = Principal(user_id=21, company_id=2)  # another company


@dataclass
class AgentEnv:
    chat: ServiceProcess
    generation: GenerationService
    files: FilesEnv
    agents: chat_pb2_grpc.AgentServiceStub
    turns: chat_pb2_grpc.GenerationServiceStub

    async def message(self, message_id: str) -> MessageRecord:
        async with self.generation.store.sessions() as session:
            query = sa.select(MessageRecord).where(MessageRecord.id == message_id)
            return (await session.execute(query)).scalar_one()


def md(principal: Principal) -> tuple[tuple[str, str], ...]:
    return credential_metadata(principal)


def aged_md(principal: Principal) -> tuple[tuple[str, str], ...]:
    """A gateway credential for chat (and its peers) with less than FORWARD_ABOVE_S left, as in a long agent run."""
    born = time.time() - mesh_tokens.TTL_S + mesh_tokens.FORWARD_ABOVE_S - 1
    token = mesh_tokens.installed().signer.sign(
        mesh_tokens.encode_principal(principal), mesh_tokens.reach("chat"), now=born
    )
    return ((mesh_tokens.CREDENTIAL_KEY, token),)


def chat_security() -> MeshSecurity:
    """What the chat process holds: it signs its own calls with the service key as "chat"."""
    keys = MeshKeys.derive(TEST_SECRET)
    assert keys.service_private is not None
    verifier = mesh_tokens.installed().verifier
    return MeshSecurity(CredentialSigner(keys.service_private, kind=mesh_tokens.SERVICE, subject="chat"), verifier)


async def drain(call: grpc.aio.UnaryStreamCall) -> list[chat_pb2.AgentEvent]:
    events = []
    while (event := await call.read()) is not grpc.aio.EOF:
        events.append(event)
    return events


def units(events: list[chat_pb2.AgentEvent]) -> list[tuple[str, str]]:
    """(type, content) of each frame, as Nexent names the types."""
    names = {number: name.removeprefix("AGENT_EVENT_TYPE_").lower() for name, number in chat_pb2.AgentEventType.items()}
    return [(names[e.unit.type], e.unit.content) for e in events]


@pytest.fixture(scope="module")
def upstream() -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream(models=("mesh-agent-model",)) as server:
        yield server


@pytest_asyncio.fixture(loop_scope="session")
async def apps_process(tmp_path: Path, nats_server: NatsServer) -> AsyncIterator[AppsProcess]:
    settings = AppsSettings(
        data_dir=tmp_path / "apps",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'apps.db'}",
        nats_url=nats_server.url,
        secret_key="apps-agents-" + uuid.uuid4().hex,
    )
    process = await build_apps(settings, address="127.0.0.1:0")
    await process.server.start()
    try:
        yield process
    finally:
        await process.server.stop(1)
        for hook in process.on_shutdown:
            await hook()


@pytest_asyncio.fixture(loop_scope="session")
async def env(
    upstream: ScriptedUpstream,
    apps_process: AppsProcess,
    tmp_path: Path,
    nats_server: NatsServer,
    valkey_server: ValkeyServer,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[AgentEnv]:
    upstream.reset()
    monkeypatch.setenv("MESH_DATA_DIR", str(tmp_path / "chat"))  # agent settings (the stock dataset) read the env
    monkeypatch.setenv("MESH_CHAT_AGENT_TOOL_TIMEOUT_S", "5")
    files = await start_files(tmp_path / "files", f"sqlite+aiosqlite:///{tmp_path / 'files.db'}", nats_server)
    settings = ChatSettings(
        data_dir=tmp_path / "chat",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}",
        nats_url=nats_server.url,
        redis_url=valkey_server.url,
        secret_key="chat-agents-" + uuid.uuid4().hex,
        openai_base_url=upstream.base_url,
        openai_api_key="test-key",
        default_model="mesh-agent-model",
        apps_addr=f"127.0.0.1:{apps_process.port}",
        files_addr=f"127.0.0.1:{files.process.port}",
        retrieval_addr="127.0.0.1:9",  # unused: these agents have no knowledge bases
    )
    process, generation = await build_chat(settings, address="127.0.0.1:0")
    assert generation.agents is not None
    # Chat calls files with its own service key once a caller's credential ages, as the deployed process does.
    files_channel = grpc_client.create_channel(settings.files_addr, security=chat_security())
    generation.agents.files = files_pb2_grpc.FilesServiceStub(files_channel)
    await process.server.start()
    channel = grpc_client.create_channel(f"127.0.0.1:{process.port}")
    try:
        yield AgentEnv(
            process,
            generation,
            files,
            chat_pb2_grpc.AgentServiceStub(channel),
            chat_pb2_grpc.GenerationServiceStub(channel),
        )
    finally:
        await channel.close()
        await files_channel.close()
        await process.server.stop(1)
        for hook in process.on_shutdown:
            await hook()
        await stop_files(files)
