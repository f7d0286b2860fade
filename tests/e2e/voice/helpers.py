"""Helpers for the voice e2e tests: WebSocket sessions against the launcher's gateway, speech made by the mesh's
own TTS, WAV wrapping, MP3 decoding and word checks."""

from __future__ import annotations

import asyncio
import io
import re
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import av
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.e2e.conftest import MeshClient

T = TypeVar("T")
# Whisper base on two busy cores: a few seconds of speech may take a while to come back.
FRAME_TIMEOUT_S = 120.0


def ws_url(mesh: MeshClient, path: str, token: str | None = None) -> str:
    base = mesh.mesh.base_url.replace("http://", "ws://", 1)
    return f"{base}{path}" + (f"?token={token}" if token else "")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Frames:
    """What a session received: JSON frames in order, binary frames, and how the socket was closed."""

    json: list[dict[str, Any]] = field(default_factory=list)
    audio: list[bytes] = field(default_factory=list)
    close_code: int | None = None

    @property
    def types(self) -> list[str]:
        return [str(f.get("type")) for f in self.json]


async def receive_until(ws: ClientConnection, frames: Frames, done: Callable[[Frames], bool]) -> Frames:
    """Receive frames until done(frames) holds or the socket closes; each frame within FRAME_TIMEOUT_S."""
    while not done(frames):
        try:
            message = await asyncio.wait_for(ws.recv(), FRAME_TIMEOUT_S)
        except ConnectionClosed as closed:
            frames.close_code = closed.rcvd.code if closed.rcvd else None
            return frames
        if isinstance(message, bytes):
            frames.audio.append(message)
        else:
            frames.json.append(orjson.loads(message))
    return frames


async def closed(ws: ClientConnection, frames: Frames) -> Frames:
    """Read to the close frame (the server closes after end or error)."""
    return await receive_until(ws, frames, lambda _: False)


@dataclass
class Speech:
    pcm: bytes
    sample_rate: int
    channels: int

    @property
    def seconds(self) -> float:
        return len(self.pcm) / (2 * self.channels * self.sample_rate)

    def wav(self) -> bytes:
        out = io.BytesIO()
        with wave.open(out, "wb") as writer:
            writer.setnchannels(self.channels)
            writer.setsampwidth(2)
            writer.setframerate(self.sample_rate)
            writer.writeframes(self.pcm)
        return out.getvalue()


async def speak(mesh: MeshClient, token: str, text: str) -> Speech:
    """Speech for text from the mesh's own TTS WebSocket, as 16-bit PCM."""
    async with connect(ws_url(mesh, "/api/voice/tts/ws"), additional_headers=bearer(token)) as ws:
        await ws.send(orjson.dumps({"text": text, "format": "pcm16"}).decode())
        frames = await receive_until(ws, Frames(), lambda f: "end" in f.types or "error" in f.types)
    assert frames.types[0] == "start" and frames.types[-1] == "end", frames.json
    start = frames.json[0]
    return Speech(b"".join(frames.audio), int(start["sample_rate"]), int(start["channels"]))


def mp3_seconds(data: bytes) -> float:
    """The length of an MP3 as PyAV decodes it (every frame decoded)."""
    with av.open(io.BytesIO(data), mode="r", format="mp3") as container:
        samples, rate = 0, 0
        for frame in container.decode(audio=0):
            samples += frame.samples
            rate = frame.sample_rate
    return samples / rate if rate else 0.0


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


def eventually(check: Callable[[], T | None], *, timeout_s: float = 180.0, every_s: float = 0.5) -> T:
    """Poll check until it returns something, within a deadline (the wait is on a condition, not a fixed time)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found is not None:
            return found
        assert time.monotonic() < deadline, f"condition not met within {timeout_s:g} s"
        time.sleep(every_s)


def logs_text(mesh: MeshClient) -> str:
    """Everything the launcher's processes logged so far."""
    folder = Path(mesh.mesh.data_dir) / "logs"
    return "\n".join(p.read_text(errors="replace") for p in sorted(folder.glob("*.log")))
