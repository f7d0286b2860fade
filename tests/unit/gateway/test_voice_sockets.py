"""Voice WebSockets against a scripted voice stub: framing, auth, caps, cancellation and token redaction."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import grpc
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from meshconsole.voice.v1 import voice_pb2
from starlette.websockets import WebSocket, WebSocketDisconnect

from gateway.config import GatewaySettings
from gateway.dialects.nexent import voice_stt, voice_tts
from gateway.dialects.nexent.voice_stt import is_end, joined, parse_config
from gateway.dialects.nexent.voice_tts import parse_request
from gateway.sockets import RedactQueryTokens, accept, close_code, error_frame, redact
from services.kit.context import Principal
from services.kit.errors import InvalidArgument, ResourceExhausted, Unauthenticated, Unavailable

ALICE = Principal(user_id=7, company_id=3)


class Authenticator:
    async def authenticate(self, token: str) -> Principal:
        if token != "good-token":
            raise Unauthenticated("token is invalid", reason="invalid_token")
        return ALICE


class ScriptedTranscribe:
    """A Transcribe call: a partial per audio chunk, the final segments once the client half-closes."""

    def __init__(self, voice: Voice) -> None:
        self.voice = voice
        self.events: asyncio.Queue[Any] = asyncio.Queue()
        self.chunks: list[bytes] = []

    async def write(self, request: voice_pb2.TranscribeRequest) -> None:
        if request.WhichOneof("item") == "config":
            self.voice.configs.append(request.config)
            return
        self.chunks.append(request.audio.data)
        words = " ".join(f"w{i}" for i in range(len(self.chunks)))
        await self.events.put(voice_pb2.TranscriptEvent(text=words, is_final=False))

    async def done_writing(self) -> None:
        if self.voice.fail_with is not None:
            await self.events.put(self.voice.fail_with)
            return
        await self.events.put(voice_pb2.TranscriptEvent(text=" Hello world.", is_final=True, end_ms=900))
        await self.events.put(voice_pb2.TranscriptEvent(text="你好。", is_final=True, start_ms=900, end_ms=1500))
        await self.events.put(grpc.aio.EOF)

    async def read(self) -> Any:
        item = await self.events.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def cancel(self) -> None:
        self.voice.cancelled.set()


class ScriptedSynthesize:
    """A Synthesize call: three chunks of PCM, or an error."""

    def __init__(self, voice: Voice, request: voice_pb2.SynthesizeRequest) -> None:
        self.voice = voice
        self.request = request
        self.sent = 0

    async def read(self) -> Any:
        if "boom" in self.request.text:
            raise rpc_error(grpc.StatusCode.INVALID_ARGUMENT, "text is too long to speak")
        if self.request.text == "forever" and self.sent >= 1:
            await asyncio.Event().wait()  # a long synthesis: only a cancel ends it
        if self.sent == 3:
            return grpc.aio.EOF
        self.sent += 1
        return voice_pb2.AudioChunk(data=bytes([self.sent]) * 4, sample_rate_hz=22050, channels=1)

    def cancel(self) -> None:
        self.voice.cancelled.set()


def rpc_error(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
    metadata = grpc.aio.Metadata()
    return grpc.aio.AioRpcError(code, metadata, metadata, details=details)


class Voice:
    """The voice stub the routes call."""

    def __init__(self) -> None:
        self.configs: list[voice_pb2.TranscribeConfig] = []
        self.cancelled = threading.Event()
        self.fail_with: BaseException | None = None
        self.synthesized: list[voice_pb2.SynthesizeRequest] = []
        self.calls: list[ScriptedTranscribe] = []

    def Transcribe(self, **kwargs: Any) -> ScriptedTranscribe:
        call = ScriptedTranscribe(self)
        self.calls.append(call)
        return call

    def Synthesize(self, request: voice_pb2.SynthesizeRequest, **kwargs: Any) -> ScriptedSynthesize:
        self.synthesized.append(request)
        return ScriptedSynthesize(self, request)


class Clients:
    def __init__(self) -> None:
        self.voice = Voice()


@pytest.fixture
def app(tmp_path: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(voice_stt.router)
    app.include_router(voice_tts.router)
    app.state.authenticator = Authenticator()
    app.state.clients = Clients()
    app.state.settings = GatewaySettings(
        data_dir=tmp_path, gateway_voice_max_frame_kb=1, gateway_voice_max_audio_mb=1, gateway_voice_idle_s=5
    )
    return app


def closed_with(ws: Any) -> int:
    with pytest.raises(WebSocketDisconnect) as caught:
        ws.receive_text()
    return caught.value.code


def test_stt_sends_partials_then_the_final_then_end(app: FastAPI) -> None:
    with TestClient(app).websocket_connect("/api/voice/stt/ws?token=good-token&lang=x") as ws:
        ws.send_json({"format": "pcm16", "sample_rate": 16000, "channels": 1, "language": "en"})
        ws.send_bytes(b"\x00\x01" * 100)
        assert ws.receive_json() == {"type": "partial", "text": "w0"}
        ws.send_bytes(b"\x00\x01" * 100)
        assert ws.receive_json() == {"type": "partial", "text": "w0 w1"}
        ws.send_json({"type": "end"})
        final = ws.receive_json()
        assert final == {
            "type": "final",
            "text": "Hello world.你好。",
            "segments": [
                {"text": "Hello world.", "start_ms": 0, "end_ms": 900},
                {"text": "你好。", "start_ms": 900, "end_ms": 1500},
            ],
            "language": "en",
        }
        assert ws.receive_json() == {"type": "end"}
        assert closed_with(ws) == 1000
    [config] = app.state.clients.voice.configs
    assert (config.encoding, config.sample_rate_hz, config.language, config.interim_results) == (
        voice_pb2.AUDIO_ENCODING_PCM_S16LE,
        16000,
        "en",
        True,
    )


def test_sockets_without_a_good_token_are_refused_with_a_reason(app: FastAPI) -> None:
    client = TestClient(app)
    for path in ("/api/voice/stt/ws", "/api/voice/tts/ws?token=bad", "/api/voice/tts/ws?token="):
        with client.websocket_connect(path) as ws:
            frame = ws.receive_json()
            assert (
                frame["type"] == "error" and frame["message"] and frame["reason"] in ("unauthorized", "invalid_token")
            )
            assert closed_with(ws) == 1008
    with client.websocket_connect("/api/voice/tts/ws", headers={"Authorization": "Bearer good-token"}) as ws:
        ws.send_json({"text": "hi"})
        assert ws.receive_json()["type"] == "start"


def test_stt_refuses_bad_config_oversize_frames_and_text_frames(app: FastAPI) -> None:
    client = TestClient(app)
    with client.websocket_connect("/api/voice/stt/ws?token=good-token") as ws:
        ws.send_json({"format": "flac", "sample_rate": 16000})
        frame = ws.receive_json()
        assert frame["type"] == "error" and "format" in frame["message"]
        assert closed_with(ws) == 1007
    with client.websocket_connect("/api/voice/stt/ws?token=good-token") as ws:
        ws.send_json({"format": "wav"})
        ws.send_bytes(b"\x00" * 2048)  # over the 1 KiB frame cap
        frame = ws.receive_json()
        assert frame["reason"] == "frame_too_large"
        assert closed_with(ws) == 1009
    with client.websocket_connect("/api/voice/stt/ws?token=good-token") as ws:
        ws.send_json({"format": "wav"})
        ws.send_text("hello?")
        assert ws.receive_json()["reason"] == "unsupported_frame"
        assert closed_with(ws) == 1003


def test_a_busy_voice_service_is_an_error_frame_saying_when_to_retry(app: FastAPI) -> None:
    voice = app.state.clients.voice
    voice.fail_with = rpc_error(grpc.StatusCode.RESOURCE_EXHAUSTED, "the transcription queue is full")
    with TestClient(app).websocket_connect("/api/voice/stt/ws?token=good-token") as ws:
        ws.send_json({"format": "pcm16"})
        ws.send_json({"type": "end"})
        frame = ws.receive_json()
        assert frame["type"] == "error" and "retry" in frame["message"] and frame["retry_after_s"] > 0
        assert closed_with(ws) == 1013


def test_closing_mid_stream_cancels_the_call(app: FastAPI) -> None:
    voice = app.state.clients.voice
    with TestClient(app).websocket_connect("/api/voice/stt/ws?token=good-token") as ws:
        ws.send_json({"format": "pcm16"})
        ws.send_bytes(b"\x00\x01" * 10)
        assert ws.receive_json()["type"] == "partial"
    assert voice.cancelled.wait(5)
    voice.cancelled.clear()
    with TestClient(app).websocket_connect("/api/voice/tts/ws?token=good-token") as ws:
        ws.send_json({"text": "forever"})
        assert ws.receive_json()["type"] == "start"
        assert ws.receive_bytes() == b"\x01" * 4
    assert voice.cancelled.wait(5)


def test_tts_streams_start_audio_and_end_for_each_request(app: FastAPI) -> None:
    voice = app.state.clients.voice
    with TestClient(app).websocket_connect("/api/voice/tts/ws?token=good-token") as ws:
        ws.send_json({"text": "Hello there.", "format": "pcm16", "voice": "joe"})
        assert ws.receive_json() == {"type": "start", "format": "pcm16", "sample_rate": 22050, "channels": 1}
        assert [ws.receive_bytes() for _ in range(3)] == [b"\x01" * 4, b"\x02" * 4, b"\x03" * 4]
        assert ws.receive_json() == {"type": "end"}
        ws.send_json({"text": "Again."})  # mp3 by default
        assert ws.receive_json()["format"] == "mp3"
        assert len([ws.receive_bytes() for _ in range(3)]) == 3 and ws.receive_json() == {"type": "end"}
        ws.send_json({"text": "boom"})
        frame = ws.receive_json()
        assert frame == {"type": "error", "message": "text is too long to speak", "reason": "invalid_param"}
        assert closed_with(ws) == 1007
    encodings = [r.encoding for r in voice.synthesized]
    assert encodings == [voice_pb2.AUDIO_ENCODING_PCM_S16LE, voice_pb2.AUDIO_ENCODING_MP3, voice_pb2.AUDIO_ENCODING_MP3]
    assert voice.synthesized[0].voice == "joe"


def test_tts_refuses_bad_requests_naming_the_field(app: FastAPI) -> None:
    with TestClient(app).websocket_connect("/api/voice/tts/ws?token=good-token") as ws:
        ws.send_json({"text": "x", "format": "ogg"})
        frame = ws.receive_json()
        assert frame["type"] == "error" and frame["message"].startswith("format")
    with pytest.raises(InvalidArgument) as caught:
        parse_request('{"text": "' + "a" * 11 + '"}', max_chars=10)
    assert caught.value.reason == "text_too_long" and caught.value.field == "text"
    with pytest.raises(InvalidArgument):
        parse_request("not json", max_chars=10)
    with pytest.raises(InvalidArgument):
        parse_request('{"text": "   "}', max_chars=10)


def test_helpers() -> None:
    assert joined([" Hello", "world. ", "你好", "世界", " ok", "then"]) == "Hello world.你好世界ok then"
    assert is_end('{"type": "end"}') and not is_end('{"type": "stop"}') and not is_end("end")
    assert parse_config('{"format": "webm", "language": "zh"}').sample_rate == 16000
    for bad, field in (('{"format": "wav", "channels": 3}', "channels"), ("[1]", "body"), ("{", "format")):
        with pytest.raises(InvalidArgument) as caught:
            parse_config(bad)
        assert caught.value.field == field
    assert close_code(Unavailable("down")) == 1013 and close_code(Unauthenticated("no")) == 1008
    assert "retry_after_s" in error_frame(ResourceExhausted("full", metadata={"retry_after_s": "3"}))
    assert error_frame(ResourceExhausted("full", metadata={"retry_after_s": "3"}))["retry_after_s"] == 3


def test_query_tokens_never_reach_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    assert redact("/api/voice/stt/ws?token=eyJabc.def&x=1") == "/api/voice/stt/ws?token=[redacted]&x=1"
    assert redact('GET /x?access_token=abc "') == 'GET /x?access_token=[redacted] "'
    logger = logging.getLogger("test.uvicorn.error")
    logger.addFilter(RedactQueryTokens())
    with caplog.at_level(logging.INFO, logger="test.uvicorn.error"):
        logger.info('%s - "WebSocket %s" [accepted]', "127.0.0.1:5", "/api/voice/tts/ws?token=secret-value")
    assert "secret-value" not in caplog.text and "token=[redacted]" in caplog.text


def test_the_query_token_is_removed_from_the_request_before_accept(app: FastAPI) -> None:
    seen: list[bytes] = []

    @app.websocket("/probe")
    async def probe(websocket: WebSocket) -> None:
        sock = await accept(websocket, route="/probe")
        seen.append(websocket.scope["query_string"])
        if sock is not None:
            await sock.close()

    with TestClient(app).websocket_connect("/probe?a=1&token=good-token") as ws:
        assert closed_with(ws) == 1000
    assert seen == [b"a=1"]
