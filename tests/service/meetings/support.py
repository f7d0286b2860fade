"""Meetings under test: the service in-process (or as a process) on a real DB and NATS, the real files service, and
one in-test gRPC server that plays voice (transcripts the test scripts) and chat (minutes the test scripts)."""

from __future__ import annotations

import asyncio
import io
import math
import struct
import time
import uuid
import wave
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import orjson
from meshconsole.chat.v1 import chat_pb2, chat_pb2_grpc
from meshconsole.common.v1 import common_pb2
from meshconsole.files.v1 import files_pb2
from meshconsole.meetings.v1 import meetings_pb2, meetings_pb2_grpc
from meshconsole.voice.v1 import voice_pb2, voice_pb2_grpc
from nats.js import JetStreamContext

from services.kit import grpc_client
from services.kit.context import Principal, principal_var
from services.kit.errors import MeshError
from services.kit.grpc_server import HealthRegistry, ServiceBinding, create_server
from services.kit.nats import EVENTS_STREAM
from services.kit.testing.credentials import credential_metadata
from services.meetings.app import MeetingsProcess, build_meetings
from services.meetings.config import MeetingsSettings
from tests.service.files_support import FilesEnv, put

ALICE = Principal(user_id=11, company_id=1)
CAROL = Principal(user_id=12, company_id=1)  # Alice's colleague
BOB = Principal(user_id=21, company_id=2)  # another company
ACME_KEY = Principal(user_id=11, company_id=1, kind="company_key")
S = meetings_pb2


def md(principal: Principal) -> tuple[tuple[str, str], ...]:
    return (("x-request-id", "req-meet-" + uuid.uuid4().hex[:8]), *credential_metadata(principal))


def wav(ms: int, *, hz: float = 440.0, rate: int = 16_000) -> bytes:
    """A mono 16-bit WAV tone of `ms` milliseconds (the stdlib's wave module)."""
    frames = int(rate * ms / 1000)
    samples = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate))) for i in range(frames))
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(samples)
    return out.getvalue()


async def voice_file(files: FilesEnv, principal: Principal, name: str = "chunk.wav", ms: int = 50) -> str:
    info = await put(files, principal, wav(ms, hz=300 + len(name) * 10), name=name, kind=files_pb2.OBJECT_KIND_VOICE)
    return str(info.id)


Outcome = voice_pb2.Transcript | MeshError


@dataclass
class ScriptedPeers(voice_pb2_grpc.VoiceServiceServicer, chat_pb2_grpc.GenerationServiceServicer):
    """voice.TranscribeFile and chat.Generate as the test scripts them; every call is recorded."""

    transcripts: dict[str, Outcome] = field(default_factory=dict)
    once: dict[str, list[Outcome]] = field(default_factory=dict)  # consumed first, then `transcripts`
    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    voice_calls: list[tuple[str, str, Principal | None]] = field(default_factory=list)
    minutes: list[str | chat_pb2.GenerateError | MeshError] = field(default_factory=list)
    generate_calls: list[tuple[chat_pb2.GenerateRequest, Principal | None]] = field(default_factory=list)

    async def TranscribeFile(self, request: voice_pb2.TranscribeFileRequest, context: Any) -> voice_pb2.Transcript:
        self.voice_calls.append((request.object_id, request.language, principal_var.get()))
        gate = self.gates.get(request.object_id)
        if gate is not None:
            await gate.wait()
        queued = self.once.get(request.object_id)
        outcome = queued.pop(0) if queued else self.transcripts.get(request.object_id)
        if outcome is None:
            outcome = voice_pb2.Transcript(object_id=request.object_id, text=f"words of {request.object_id}")
        if isinstance(outcome, MeshError):
            raise outcome
        return outcome

    async def Generate(self, request: chat_pb2.GenerateRequest, context: Any) -> AsyncIterator[chat_pb2.GenerateEvent]:
        self.generate_calls.append((request, principal_var.get()))
        outcome = self.minutes.pop(0) if self.minutes else "## Summary\nscripted minutes"
        if isinstance(outcome, MeshError):
            raise outcome
        yield chat_pb2.GenerateEvent(task_id="t", message_start=chat_pb2.MessageStart())
        if isinstance(outcome, chat_pb2.GenerateError):
            yield chat_pb2.GenerateEvent(task_id="t", error=outcome)
            return
        for piece in (outcome[: len(outcome) // 2], outcome[len(outcome) // 2 :]):
            yield chat_pb2.GenerateEvent(task_id="t", text_delta=chat_pb2.TextDelta(text=piece))
        yield chat_pb2.GenerateEvent(task_id="t", message_end=chat_pb2.MessageEnd(finish_reason="stop"))

    def calls_for(self, file_id: str) -> int:
        return sum(1 for called, _, _ in self.voice_calls if called == file_id)


def transcript(object_id: str, *segments: tuple[int, int, str], duration_ms: int, language: str = "en") -> Any:
    return voice_pb2.Transcript(
        object_id=object_id,
        text=" ".join(text for _, _, text in segments),
        language=language,
        duration_ms=duration_ms,
        segments=[voice_pb2.TranscriptSegment(text=t, start_ms=a, end_ms=b) for a, b, t in segments],
    )


@dataclass
class PeerServer:
    peers: ScriptedPeers
    server: grpc.aio.Server
    port: int

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


async def start_peers() -> PeerServer:
    peers = ScriptedPeers()
    bindings = [
        ServiceBinding("meshconsole.voice.v1.VoiceService", voice_pb2_grpc.add_VoiceServiceServicer_to_server, peers),
        ServiceBinding(
            "meshconsole.chat.v1.GenerationService", chat_pb2_grpc.add_GenerationServiceServicer_to_server, peers
        ),
    ]
    server, port = create_server("127.0.0.1:0", bindings=bindings, health=HealthRegistry())
    await server.start()
    return PeerServer(peers, server, port)


def meetings_settings(
    tmp_path: Path, database_url: str, nats_url: str, files: FilesEnv, peers: PeerServer, **overrides: Any
) -> MeetingsSettings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": database_url,
        "nats_url": nats_url,
        "secret_key": "meetings-test-secret-" + uuid.uuid4().hex,
        "files_addr": f"127.0.0.1:{files.process.port}",
        "voice_addr": peers.address,
        "chat_addr": peers.address,
        "meetings_backoff_s": [0.2],
        "meetings_ack_wait_s": 5.0,
        "meetings_outbox_interval_s": 0.2,
        "meetings_idle_sweep_interval_s": 0.1,
        **overrides,
    }
    return MeetingsSettings(**values)


@dataclass
class MeetingsEnv:
    process: MeetingsProcess
    channel: grpc_client.MeshChannel
    stub: meetings_pb2_grpc.MeetingsServiceStub

    async def stop(self) -> None:
        await self.channel.close()
        await self.process.server.stop(0)
        for hook in self.process.on_shutdown:
            await hook()


async def start_meetings(settings: MeetingsSettings) -> MeetingsEnv:
    process = await build_meetings(settings, address="127.0.0.1:0")
    await process.server.start()
    channel = grpc_client.create_channel(f"127.0.0.1:{process.port}")
    return MeetingsEnv(process, channel, meetings_pb2_grpc.MeetingsServiceStub(channel))


async def wait_for(check: Callable[[], Awaitable[Any]], *, timeout_s: float = 20.0, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy; fail with `what` after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.05)


async def meeting_events(js: JetStreamContext, meeting_id: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Every mesh.events.meetings.* stored so far (of one meeting), in order."""
    out: list[tuple[str, dict[str, Any]]] = []
    seq = 1
    while True:
        try:
            raw = await js.get_msg(EVENTS_STREAM, seq, subject="mesh.events.meetings.>", next=True)
        except Exception:
            return out
        payload = orjson.loads(raw.data or b"{}")
        if meeting_id is None or payload.get("meeting_id") == meeting_id:
            out.append((str(raw.subject).rsplit(".", 1)[-1], payload))
        seq = int(raw.seq or seq) + 1


async def settled(stub: meetings_pb2_grpc.MeetingsServiceStub, principal: Principal, meeting_id: str) -> S.Meeting:
    """The meeting once its processing has ended (done or failed)."""

    async def check() -> S.Meeting | None:
        request = S.ListMeetingsRequest(page=common_pb2.PageRequest(page=1, limit=100))
        page = await stub.ListMeetings(request, metadata=md(principal))
        found = next((m for m in page.meetings if m.meeting_id == meeting_id), None)
        return found if found and found.state in (S.MEETING_STATE_COMPLETED, S.MEETING_STATE_FAILED) else None

    return await wait_for(check, what=f"meeting {meeting_id} to settle")
