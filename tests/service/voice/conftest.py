"""The voice service in-process on port 0, with a real files service, real NATS and the real local engines."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import pytest_asyncio
from meshconsole.voice.v1 import voice_pb2_grpc

from services.kit import grpc_client
from services.kit.mesh_tokens import SERVICE, CredentialSigner, CredentialVerifier, MeshKeys, MeshSecurity
from services.kit.testing.credentials import TEST_SECRET
from services.kit.testing.servers import NatsServer, free_port
from services.voice.app import VoiceProcess, build_voice
from services.voice.config import VoiceSettings
from services.voice.engines.whisper_model import ensure_base_model
from tests.service.files_support import FilesEnv, start_files, stop_files


def voice_security() -> MeshSecurity:
    """What the voice process holds: the test keys, signing its own work as the `voice` service."""
    keys = MeshKeys.derive(TEST_SECRET)
    assert keys.gateway_public is not None and keys.service_private is not None
    verifier = CredentialVerifier(gateway_public=keys.gateway_public, service_public=keys.service_private.public_key())
    return MeshSecurity(CredentialSigner(keys.service_private, kind=SERVICE, subject="voice"), verifier)


@pytest.fixture(scope="session")
def whisper_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_base_model(tmp_path_factory.mktemp("whisper") / "base")


def voice_settings(
    tmp_path: Path, nats_server: NatsServer, files: FilesEnv, whisper: Path, **overrides: Any
) -> VoiceSettings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "voice",
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'voice.db'}",
        "nats_url": nats_server.url,
        "secret_key": TEST_SECRET,
        "files_addr": f"127.0.0.1:{files.process.port}",
        "chat_addr": f"127.0.0.1:{free_port()}",
        "voice_whisper_model_dir": str(whisper),
        "voice_registry": False,
        "voice_backoff_s": [0.2, 0.5],
        "voice_ack_wait_s": 5.0,
        "grpc_deadline_s": 5.0,
    }
    return VoiceSettings(**(values | overrides))


@dataclass
class VoiceEnv:
    settings: VoiceSettings
    process: VoiceProcess
    channel: grpc.aio.Channel
    stub: voice_pb2_grpc.VoiceServiceStub
    files: FilesEnv


async def start_voice(settings: VoiceSettings, files: FilesEnv, *, consume: bool = True) -> VoiceEnv:
    process = await build_voice(settings, address="127.0.0.1:0", consume=consume, warm=False, security=voice_security())
    await process.server.start()
    channel = grpc_client.create_channel(f"127.0.0.1:{process.port}")
    return VoiceEnv(settings, process, channel, voice_pb2_grpc.VoiceServiceStub(channel), files)


async def stop_voice(env: VoiceEnv) -> None:
    await env.channel.close()
    await env.process.server.stop(1)
    for hook in env.process.on_shutdown:
        await hook()


@contextlib.asynccontextmanager
async def files_and_voice(
    tmp_path: Path, nats_server: NatsServer, whisper: Path, **overrides: Any
) -> AsyncIterator[VoiceEnv]:
    files = await start_files(tmp_path / "files", f"sqlite+aiosqlite:///{tmp_path / 'files.db'}", nats_server)
    env = await start_voice(voice_settings(tmp_path, nats_server, files, whisper, **overrides), files)
    try:
        yield env
    finally:
        await stop_voice(env)
        for name in ("MESH_DLQ", "MESH_ADVISORIES"):
            with contextlib.suppress(Exception):
                await files.js.delete_stream(name)
        await stop_files(files)


@pytest_asyncio.fixture(loop_scope="session")
async def voice(tmp_path: Path, nats_server: NatsServer, whisper_dir: Path) -> AsyncIterator[VoiceEnv]:
    async with files_and_voice(tmp_path, nats_server, whisper_dir) as env:
        yield env
