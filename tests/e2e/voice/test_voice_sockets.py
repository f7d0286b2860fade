"""Nexent's voice WebSockets through the launcher: STT partials, final and end; TTS audio; auth; bad input; leaving."""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest
from websockets.asyncio.client import connect

from tests.e2e.chat.helpers import new_tenant
from tests.e2e.conftest import MeshClient
from tests.e2e.voice.helpers import (
    Frames,
    Speech,
    bearer,
    closed,
    eventually,
    logs_text,
    mp3_seconds,
    receive_until,
    speak,
    words,
    ws_url,
)

pytestmark = pytest.mark.e2e
STT, TTS = "/api/voice/stt/ws", "/api/voice/tts/ws"
SENTENCE = "The weather is lovely today. The quick brown fox jumps over the lazy dog."
EXPECTED = {"weather", "lovely", "today", "quick", "brown", "fox", "jumps", "over", "lazy", "dog"}


@pytest.fixture(scope="module")
def user(mesh: MeshClient) -> str:
    return new_tenant(mesh, "voice-ws")


@pytest.fixture(scope="module")
def speech(mesh: MeshClient, user: str) -> Speech:
    spoken = asyncio.run(speak(mesh, user, SENTENCE))
    assert spoken.seconds > 2.0 and spoken.sample_rate >= 8000
    return spoken


def config(speech: Speech) -> str:
    return orjson.dumps(
        {"format": "pcm16", "sample_rate": speech.sample_rate, "channels": speech.channels, "language": "en"}
    ).decode()


def frames_of(pcm: bytes, sample_rate: int, ms: int = 200) -> list[bytes]:
    size = sample_rate * 2 * ms // 1000
    return [pcm[i : i + size] for i in range(0, len(pcm), size)]


async def test_stt_sends_a_partial_while_audio_arrives_then_the_final_and_end(
    mesh: MeshClient, user: str, speech: Speech
) -> None:
    pieces = frames_of(speech.pcm, speech.sample_rate)
    head, rest = pieces[: len(pieces) * 2 // 3], pieces[len(pieces) * 2 // 3 :]
    async with connect(ws_url(mesh, STT), additional_headers=bearer(user)) as ws:
        await ws.send(config(speech))
        for piece in head:
            await ws.send(piece)
        frames = await receive_until(ws, Frames(), lambda f: bool(f.json))
        assert frames.types == ["partial"], frames.json  # before the client has even sent all its audio
        for piece in rest:
            await ws.send(piece)
        await ws.send('{"type": "end"}')
        frames = await closed(ws, frames)
    assert frames.types[-2:] == ["final", "end"] and set(frames.types[:-2]) == {"partial"}, frames.json
    assert frames.close_code == 1000
    final = frames.json[-2]
    heard = words(final["text"])
    assert len(heard & EXPECTED) >= 0.7 * len(EXPECTED), final["text"]
    assert final["segments"] and all(s["end_ms"] >= s["start_ms"] for s in final["segments"])
    assert " ".join(s["text"] for s in final["segments"]).split() == final["text"].split()


async def test_sockets_without_a_valid_token_are_refused(mesh: MeshClient) -> None:
    for path in (STT, TTS):
        for url in (ws_url(mesh, path), ws_url(mesh, path, token="not-a-token")):
            async with connect(url) as ws:
                frames = await closed(ws, Frames())
            assert frames.types == ["error"] and frames.json[0]["message"], frames.json
            assert frames.close_code == 1008


async def test_a_query_token_works_and_never_reaches_the_logs(mesh: MeshClient) -> None:
    token = new_tenant(mesh, "voice-query")
    marker = f"voice-query-{uuid.uuid4().hex}"
    async with connect(ws_url(mesh, TTS, token=token), additional_headers={"X-Request-Id": marker}) as ws:
        await ws.send(orjson.dumps({"text": "Hello.", "format": "mp3"}).decode())
        frames = await receive_until(ws, Frames(), lambda f: "end" in f.types or "error" in f.types)
    assert frames.types == ["start", "end"] and frames.audio, frames.json
    assert mp3_seconds(b"".join(frames.audio)) > 0.2
    # The session's own log line is there; the token is nowhere (not in uvicorn's line, not in ours).
    eventually(lambda: True if marker in logs_text(mesh) else None, timeout_s=30)
    text = logs_text(mesh)
    assert token not in text and token.split(".")[-1] not in text


async def test_bad_input_gets_an_error_frame_and_the_next_session_still_works(mesh: MeshClient, user: str) -> None:
    async with connect(ws_url(mesh, STT), additional_headers=bearer(user)) as ws:
        await ws.send('{"format": "aac", "sample_rate": 16000}')
        frames = await closed(ws, Frames())
    assert frames.types == ["error"] and "format" in frames.json[0]["message"]
    async with connect(ws_url(mesh, STT), additional_headers=bearer(user)) as ws:
        await ws.send('{"format": "wav"}')
        await ws.send(b"RIFF\x24\x00\x00\x00WAVEgarbage that is not audio at all" * 20)
        await ws.send('{"type": "end"}')
        frames = await closed(ws, Frames())
    assert frames.types[-1] == "error" and frames.close_code in (1007, 1008), frames.json
    # Silence is an empty transcript, not an error; and the service is still serving.
    async with connect(ws_url(mesh, STT), additional_headers=bearer(user)) as ws:
        await ws.send('{"format": "pcm16", "sample_rate": 16000, "channels": 1}')
        for piece in frames_of(b"\x00\x00" * 16000 * 2, 16000):
            await ws.send(piece)
        await ws.send('{"type": "end"}')
        frames = await closed(ws, Frames())
    assert frames.types[-2:] == ["final", "end"] and frames.json[-2]["text"].strip() == "", frames.json
    async with connect(ws_url(mesh, TTS), additional_headers=bearer(user)) as ws:
        await ws.send(orjson.dumps({"text": "word " * 2500}).decode())
        frames = await closed(ws, Frames())
    assert frames.types == ["error"] and frames.close_code == 1007, frames.json


async def test_closing_mid_stream_cancels_the_work(mesh: MeshClient, user: str, speech: Speech) -> None:
    marker = f"voice-leave-{uuid.uuid4().hex}"
    headers = {**bearer(user), "X-Request-Id": marker}
    async with connect(ws_url(mesh, STT), additional_headers=headers) as ws:
        await ws.send(config(speech))
        for piece in frames_of(speech.pcm, speech.sample_rate)[:5]:
            await ws.send(piece)
    async with connect(ws_url(mesh, TTS), additional_headers={**bearer(user), "X-Request-Id": marker}) as ws:
        await ws.send(orjson.dumps({"text": SENTENCE * 3, "format": "pcm16"}).decode())
        await receive_until(ws, Frames(), lambda f: bool(f.audio))

    def left() -> list[str] | None:
        lines = [line for line in logs_text(mesh).splitlines() if marker in line and "websocket_session" in line]
        return lines if len(lines) == 2 else None

    assert all('"outcome":"gone"' in line or '"outcome":"closed"' in line for line in eventually(left, timeout_s=60))
    spoken = await speak(mesh, user, "Still here.")
    assert spoken.seconds > 0.3


async def test_tts_streams_audio_sentence_by_sentence(mesh: MeshClient, user: str) -> None:
    text = "One sentence first. Then a second one. And a third to finish."
    async with connect(ws_url(mesh, TTS), additional_headers=bearer(user)) as ws:
        await ws.send(orjson.dumps({"text": text, "format": "pcm16"}).decode())
        frames = await receive_until(ws, Frames(), lambda f: "end" in f.types or "error" in f.types)
        start = frames.json[0]
        assert start["type"] == "start" and start["format"] == "pcm16" and start["sample_rate"] > 0
        assert frames.types == ["start", "end"] and len(frames.audio) >= 2
        seconds = len(b"".join(frames.audio)) / (2 * start["channels"] * start["sample_rate"])
        assert seconds > 2.0
        # The same socket takes another request: Mandarin, as MP3.
        await ws.send(orjson.dumps({"text": "你好，欢迎使用语音服务。", "format": "mp3"}).decode())
        more = await receive_until(ws, Frames(), lambda f: "end" in f.types or "error" in f.types)
    assert more.types == ["start", "end"], more.json
    assert mp3_seconds(b"".join(more.audio)) > 0.5


async def test_audio_sent_in_one_burst_with_the_config_is_all_transcribed(mesh: MeshClient, user: str) -> None:
    # The config and the first audio frames arrive together; each session still ends with its final at once.
    async def burst() -> Frames:
        async with connect(ws_url(mesh, STT), additional_headers=bearer(user)) as ws:
            silence = frames_of(b"\x00\x00" * (16000 // 2), 16000, ms=50)
            for frame in ['{"format": "pcm16", "sample_rate": 16000}', *silence, '{"type": "end"}']:
                await ws.send(frame)
            return await asyncio.wait_for(closed(ws, Frames()), timeout=20)

    for _ in range(12):
        frames = await burst()
        assert frames.types[-2:] == ["final", "end"], frames.json
        assert frames.json[-2]["text"] == "" and frames.close_code == 1000
