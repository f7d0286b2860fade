"""Nexent `WebSocket /api/voice/tts/ws`: `{"text"}` in, audio out as it is produced, sentence by sentence.

Framing: each request is a text frame `{"text", "voice"?, "format"?: "mp3" (default) | "wav" | "pcm16",
"language"?}`. The answer is `{"type": "start", "format", "sample_rate", "channels"}` (so raw PCM is playable),
binary frames of audio in order, then `{"type": "end"}`. A socket may carry several requests, one after another;
the client closes it when done. Any failure is `{"type": "error", "message", "reason"}` and a close
(gateway.sockets). A client that closes mid-stream cancels the synthesis.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal

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
from services.kit.errors import DeadlineExceeded, InvalidArgument, MeshError

router = APIRouter(prefix="/api/voice")
ROUTE = "/api/voice/tts/ws"
ENCODINGS = {
    "mp3": voice_pb2.AUDIO_ENCODING_MP3,
    "wav": voice_pb2.AUDIO_ENCODING_WAV,
    "pcm16": voice_pb2.AUDIO_ENCODING_PCM_S16LE,
}


class TtsRequest(BaseModel):
    """One text to speak."""

    model_config = ConfigDict(extra="ignore")

    text: str = Field(min_length=1)
    voice: str = Field(default="", max_length=64)
    format: Literal["mp3", "wav", "pcm16"] = "mp3"
    language: str = Field(default="", max_length=16)


def parse_request(text: str, *, max_chars: int) -> TtsRequest:
    """A request frame, or an InvalidArgument naming the field that is wrong."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InvalidArgument('send {"text": "..."} as a JSON text frame', field="text") from None
    try:
        request = TtsRequest.model_validate(data)
    except ValidationError as error:
        refused = RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in error.errors()], body=data)
        raise validation_error(refused) from None
    if not request.text.strip():
        raise InvalidArgument("text must not be empty", field="text")
    if len(request.text) > max_chars:
        raise InvalidArgument(f"text may be at most {max_chars} characters", reason="text_too_long", field="text")
    return request


@dataclass
class _Client:
    """The client side: its request frames, whether it left, and the synthesis to cancel if it does."""

    requests: asyncio.Queue[str | MeshError | None]
    current: ServerStream[Any] | None = None
    gone: bool = False


async def _read(sock: Socket, client: _Client) -> None:
    """Queue the client's text frames; a binary frame is refused; leaving cancels the synthesis in flight."""
    while True:
        message = await sock.websocket.receive()
        if message["type"] == "websocket.disconnect":
            client.gone = True
            if client.current is not None:
                client.current.cancel()
            await client.requests.put(None)
            return
        text = message.get("text")
        if text is None:
            refused = InvalidArgument('send {"text": "..."} as a JSON text frame', reason="unsupported_frame")
            await client.requests.put(refused)
            return
        sock.bytes_in += len(text)
        await client.requests.put(text)


async def _speak(sock: Socket, client: _Client, request: TtsRequest, clients: ServiceClients, timeout_s: float) -> None:
    """Stream one text's audio: the start frame, binary frames as they come, then end."""
    call = clients.voice.Synthesize(
        voice_pb2.SynthesizeRequest(
            text=request.text, voice=request.voice, encoding=ENCODINGS[request.format], language=request.language
        ),
        timeout=timeout_s,
        metadata=grpc_client.outgoing_metadata(sock.principal),
    )
    stream: ServerStream[voice_pb2.AudioChunk] = ServerStream(call)
    client.current = stream
    started = False
    try:
        async for item in stream.items(keepalive_s=timeout_s):
            if isinstance(item, MeshError):
                raise item
            if item is None:
                continue
            if not started:
                start = {"type": "start", "format": request.format, "sample_rate": item.sample_rate_hz}
                await sock.send_json({**start, "channels": item.channels or 1})
                started = True
            if item.data:
                await sock.send_bytes(item.data)
        if not client.gone:
            await sock.send_json({"type": "end"})
    finally:
        client.current = None
        stream.cancel()


async def _serve(sock: Socket, clients: ServiceClients, settings: GatewaySettings) -> None:
    client = _Client(requests=asyncio.Queue(maxsize=8))
    reader = asyncio.create_task(_read(sock, client))
    try:
        while True:
            try:
                item = await asyncio.wait_for(client.requests.get(), settings.gateway_voice_idle_s)
            except TimeoutError:
                idle = f"{settings.gateway_voice_idle_s:g}"
                raise DeadlineExceeded(f"no text for {idle} s; the session is closed", reason="idle_timeout") from None
            if item is None:
                sock.finished("closed")
                return
            if isinstance(item, MeshError):
                raise item
            request = parse_request(item, max_chars=settings.gateway_voice_max_text_chars)
            await _speak(sock, client, request, clients, settings.gateway_voice_max_session_s)
            if client.gone:
                sock.finished("gone")
                return
    finally:
        reader.cancel()


@router.websocket("/tts/ws")
async def text_to_speech(websocket: WebSocket) -> None:
    """Text to speech over a WebSocket (framing in this module's docstring and the README)."""
    sock = await accept(websocket, route=ROUTE)
    if sock is None:
        return
    app = websocket.app
    clients: ServiceClients = app.state.clients
    settings: GatewaySettings = app.state.settings
    try:
        async with asyncio.timeout(settings.gateway_voice_max_session_s):
            await _serve(sock, clients, settings)
    except TimeoutError:
        limit = f"{settings.gateway_voice_max_session_s:g}"
        await sock.fail(DeadlineExceeded(f"a session may last at most {limit} s", reason="session_too_long"))
        sock.finished("too_long")
    except MeshError as error:
        await sock.fail(error)
        sock.finished(error.reason)
    except (WebSocketDisconnect, RuntimeError, OSError):
        sock.finished("gone")
