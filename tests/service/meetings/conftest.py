"""Fixtures: files (real, SQLite), the scripted voice and chat server, and meetings on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from nats.aio.client import Client

from services.kit.testing.servers import NatsServer
from tests.service.files_support import FilesEnv, start_files, stop_files
from tests.service.meetings.support import MeetingsEnv, PeerServer, meetings_settings, start_meetings, start_peers


@pytest_asyncio.fixture(loop_scope="session")
async def files(tmp_path: Path, nats_server: NatsServer, nats_client: Client) -> AsyncIterator[FilesEnv]:
    env = await start_files(tmp_path / "files", f"sqlite+aiosqlite:///{tmp_path / 'files.db'}", nats_server)
    try:
        yield env
    finally:
        await stop_files(env)


@pytest_asyncio.fixture(loop_scope="session")
async def peer_server() -> AsyncIterator[PeerServer]:
    server = await start_peers()
    try:
        yield server
    finally:
        await server.server.stop(0)


@pytest_asyncio.fixture(loop_scope="session")
async def meetings(
    tmp_path: Path, database_url: str, nats_server: NatsServer, files: FilesEnv, peer_server: PeerServer
) -> AsyncIterator[MeetingsEnv]:
    """One meetings replica on the test's database (SQLite or PostgreSQL); auto-close effectively off."""
    settings = meetings_settings(
        tmp_path / "meetings", database_url, nats_server.url, files, peer_server, meetings_idle_timeout_s=3600.0
    )
    env = await start_meetings(settings)
    try:
        yield env
    finally:
        with contextlib.suppress(Exception):
            await env.stop()
