"""Nexent `WebSocket /api/voice/stt/ws`: audio frames in, partial text while they arrive, then the final transcript.

Framing: the first text frame is the JSON config `{"format": "pcm16"|"wav"|"mp3"|"webm", "sample_rate",
"channels", "language"?}`; binary frames carry audio; the text frame `{"type": "end"}` finishes. The server sends
`{"type": "partial", "text"}` (the whole transcript so far, each one replacing the last) while audio arrives, then
`{"type": "final", "text", "segments": [{"text", "start_ms", "end_ms"}], "language"}` and `{"type": "end"}`, and
closes with 1000. Any failure is `{"type": "error", "message", "reason"}` and a close (gateway.sockets). A client
that closes mid-stream cancels the gRPC call, and with it the transcription.
"""

from __future__ import annotations

import asyncio
import contextlib
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

import grpc
import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from meshconsole.voice.v1 import voice_pb2
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.clients import ServiceClients
from gateway.config import GatewaySettings
from gateway.errors import validation_error
from gateway.sockets import Socket, accept
from gateway.streaming import ServerStream
from services.kit import grpc_client
from services.kit.errors import DeadlineExceeded, InvalidArgument, MeshError, ResourceExhausted

router = APIRouter(prefix="/api/voice")
ROUTE = "/api/voice/stt/ws"
ENCODINGS = {
    "pcm16": voice_pb2.AUDIO_ENCODING_PCM_S16LE,
    "wav": voice_pb2.AUDIO_ENCODING_WAV,
    "mp3": voice_pb2.AUDIO_ENCODING_MP3,
    "webm": voice_pb2.AUDIO_ENCODING_WEBM_OPUS,
}
# The transcription may still be flushing when the session cap strikes; the call outlives the socket by this.
_CALL_SLACK_S = 30.0


class SttConfig(BaseModel):
    """The first text frame of an STT session."""

    model_config = ConfigDict(extra="ignore")

    format: Literal["pcm16", "wav", "mp3", "webm"]
    sample_rate: int = Field(default=16_000, ge=8_000, le=48_000)
    channels: int = Field(default=1, ge=1, le=2)
    language: str = Field(default="", max_length=16)


def parse_config(text: str | None) -> SttConfig:
    """The config frame, or an InvalidArgument naming the field that is wrong."""
    if text is None:
        raise InvalidArgument(
            'the first frame must be the JSON config {"format", "sample_rate", "channels"}', field="format"
        )
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InvalidArgument("the config frame must be a JSON object", field="format") from None
    try:
        return SttConfig.model_validate(data)
    except ValidationError as error:
        refused = RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in error.errors()], body=data)
        raise validation_error(refused) from None


def is_end(text: str) -> bool:
    """Whether a text frame is `{"type": "end"}`."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return isinstance(data, dict) and data.get("type") == "end"


def _cjk(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def joined(texts: list[str]) -> str:
    """Segment texts as one transcript: spaces between words, none between Chinese characters."""
    out = ""
    for text in (t.strip() for t in texts):
        if text:
            out += (" " if out and not (_cjk(out[-1]) or _cjk(text[0])) else "") + text
    return out


@dataclass
class _Uplink:
    """What the client side of a session did: ended its audio, went away, or broke a rule."""

    ended: bool = False
    gone: bool = False
    failure: MeshError | None = None


async def _uplink(
    sock: Socket, call: Any, stream: ServerStream[Any], settings: GatewaySettings, state: _Uplink
) -> None:
    """Client frames into the gRPC call until `end`; then watch for the client leaving, which cancels the call."""
    max_frame = settings.gateway_voice_max_frame_kb * 1024
    max_total = settings.gateway_voice_max_audio_mb * 1024 * 1024
    sequence = 0
    try:
        while True:
            timeout = None if state.ended else settings.gateway_voice_idle_s
            message = await asyncio.wait_for(sock.websocket.receive(), timeout)
            if message["type"] == "websocket.disconnect":
                state.gone = True
                stream.cancel()
                return
            if state.ended:
                continue
            data, text = message.get("bytes"), message.get("text")
            if data is not None:
                if len(data) > max_frame:
                    raise InvalidArgument(
                        f"audio frames may be at most {settings.gateway_voice_max_frame_kb} KiB",
                        reason="frame_too_large",
                    )
                sock.bytes_in += len(data)
                if sock.bytes_in > max_total:
                    raise ResourceExhausted(
                        f"a session may send at most {settings.gateway_voice_max_audio_mb} MB of audio",
                        reason="audio_too_long",
                    )
                if data:
                    chunk = voice_pb2.AudioChunk(data=data, sequence=sequence)
                    await call.write(voice_pb2.TranscribeRequest(audio=chunk))
                    sequence += 1
            elif text is not None and is_end(text):
                state.ended = True
                await call.done_writing()
            else:
                raise InvalidArgument(
                    'send audio as binary frames and {"type": "end"} to finish', reason="unsupported_frame"
                )
    except TimeoutError:
        state.failure = DeadlineExceeded(
            f"no audio for {settings.gateway_voice_idle_s:g} s; the session is closed", reason="idle_timeout"
        )
        stream.cancel()
    except MeshError as error:
        state.failure = error
        stream.cancel()
    except (grpc.aio.AioRpcError, asyncio.InvalidStateError):
        return  # the call ended: the downlink reports how


async def _transcribe(sock: Socket, clients: ServiceClients, settings: GatewaySettings) -> None:
    try:
        first = await asyncio.wait_for(sock.websocket.receive(), settings.gateway_voice_idle_s)
    except TimeoutError:
        raise DeadlineExceeded("no config frame arrived; the session is closed", reason="idle_timeout") from None
    if first["type"] == "websocket.disconnect":
        sock.finished("gone")
        return
    config = parse_config(first.get("text"))
    call = clients.voice.Transcribe(
        timeout=settings.gateway_voice_max_session_s + _CALL_SLACK_S,
        metadata=grpc_client.outgoing_metadata(sock.principal),
    )
    stream: ServerStream[voice_pb2.TranscriptEvent] = ServerStream(call)
    state = _Uplink()
    uplink: asyncio.Task[None] | None = None
    try:
        header = voice_pb2.TranscribeConfig(
            encoding=ENCODINGS[config.format],
            sample_rate_hz=config.sample_rate,
            channels=config.channels,
            language=config.language,
            interim_results=True,
        )
        # One write at a time on a call: a second write while one is in flight fails the call on our side
        # only, and the service would wait for audio that never comes. So the uplink starts after the config.
        with contextlib.suppress(grpc.aio.AioRpcError, asyncio.InvalidStateError):
            await call.write(voice_pb2.TranscribeRequest(config=header))
        uplink = asyncio.create_task(_uplink(sock, call, stream, settings, state))
        finals: list[voice_pb2.TranscriptEvent] = []
        language = config.language
        async for item in stream.items(keepalive_s=settings.gateway_voice_max_session_s):
            if isinstance(item, MeshError):
                raise item
            if item is None:
                continue
            language = item.language or language
            if item.is_final:
                finals.append(item)
            if not state.ended or not item.is_final:
                live = [e.text for e in finals] + ([] if item.is_final else [item.text])
                await sock.send_json({"type": "partial", "text": joined(live)})
        if state.gone:
            sock.finished("gone")
            return
        if state.failure is not None:
            raise state.failure
        segments = [{"text": e.text.strip(), "start_ms": e.start_ms, "end_ms": e.end_ms} for e in finals]
        await sock.send_json(
            {"type": "final", "text": joined([e.text for e in finals]), "segments": segments, "language": language}
        )
        await sock.send_json({"type": "end"})
        await sock.close()
        sock.finished("ok")
    finally:
        if uplink is not None:
            uplink.cancel()
        stream.cancel()


@router.websocket("/stt/ws")
async def speech_to_text(websocket: WebSocket) -> None:
    """Speech to text over a WebSocket (framing in this module's docstring and the README)."""
    sock = await accept(websocket, route=ROUTE)
    if sock is None:
        return
    app = websocket.app
    clients: ServiceClients = app.state.clients
    settings: GatewaySettings = app.state.settings
    try:
        async with asyncio.timeout(settings.gateway_voice_max_session_s):
            await _transcribe(sock, clients, settings)
    except TimeoutError:
        limit = f"{settings.gateway_voice_max_session_s:g}"
        await sock.fail(DeadlineExceeded(f"a session may last at most {limit} s", reason="session_too_long"))
        sock.finished("too_long")
    except MeshError as error:
        await sock.fail(error)
        sock.finished(error.reason)
    except (WebSocketDisconnect, RuntimeError, OSError):
        sock.finished("gone")  # the client left while we were sending
