"""A scripted OpenAI-compatible upstream that speaks the real wire protocol, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import math
import random
import socket
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass
class ToolCallScript:
    """One tool call the upstream makes; its JSON arguments go out in `pieces` fragments, as real models send them."""

    name: str
    arguments: str = "{}"
    id: str = ""
    pieces: int = 3


@dataclass
class Script:
    """How the upstream answers one chat completion request.

    "{observation}" in a content chunk becomes the last tool result the request carries (a `tool` message, or the
    text after the last "Observation:" of a ReAct transcript), so a test sees the answer use it.
    """

    chunks: list[str] = field(default_factory=lambda: ["Hello", " from", " the", " upstream", "."])
    reasoning: list[str] = field(default_factory=list)
    delay_s: float = 0.0
    first_token_delay_s: float = 0.0
    fail_after: int | None = None  # drop the connection after this many content chunks
    status: int = 200  # a non-200 answers with an OpenAI error body before any token
    error_message: str = "scripted upstream failure"
    prompt_tokens: int = 11
    finish_reason: str = "stop"
    reasoning_field: str = "reasoning_content"
    # Tool calls after the content (finish_reason becomes "tool_calls"); interleave sends parallel calls' fragments
    # in turns, so a client must merge them by index.
    tool_calls: list[ToolCallScript] = field(default_factory=list)
    interleave: bool = False
    hang_s: float = 0.0  # wait this long before the first byte (a model that hangs)


@dataclass
class Recorded:
    """What the upstream saw of one request."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    started_at: float
    chunks_sent: int = 0
    cancelled: bool = False
    finished: bool = False


class ScriptedUpstream:
    """Serves /v1/chat/completions, /v1/models, /v1/embeddings and /v1/audio/* on a loopback port in a thread."""

    def __init__(self, *, models: tuple[str, ...] = ("mesh-test-model",), api_key: str | None = None) -> None:
        self.models = models
        self.api_key = api_key
        self.scripts: deque[Script] = deque()
        self.default = Script()
        self.by_model: dict[str, Script] = {}  # used when no script is queued
        self.requests: list[Recorded] = []
        self.embedding_dim = 16
        self.audio = AudioScript()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def push(self, *scripts: Script) -> None:
        """Queue scripts; each request takes the next one, then falls back to `default`."""
        self.scripts.extend(scripts)

    def reset(self) -> None:
        self.scripts.clear()
        self.requests.clear()
        self.default = Script()

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _authorized(self, request: Request) -> bool:
        if self.api_key is None:
            return True
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    def app(self) -> Starlette:
        async def models(request: Request) -> Response:
            if not self._authorized(request):
                return _error(401, "invalid api key", "invalid_request_error")
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "mesh-test"} for m in self.models]
            return JSONResponse({"object": "list", "data": data})

        async def embeddings(request: Request) -> Response:
            body = await request.json()
            inputs = body.get("input")
            texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
            self.requests.append(Recorded("/v1/embeddings", body, dict(request.headers), time.monotonic()))
            data = [
                {"object": "embedding", "index": i, "embedding": _vector(text, self.embedding_dim)}
                for i, text in enumerate(texts)
            ]
            usage = {"prompt_tokens": sum(len(t.split()) for t in texts), "total_tokens": 0}
            return JSONResponse({"object": "list", "data": data, "model": body.get("model"), "usage": usage})

        async def completions(request: Request) -> Response:
            if not self._authorized(request):
                return _error(401, "invalid api key", "invalid_request_error")
            body = await request.json()
            record = Recorded(request.url.path, body, dict(request.headers), time.monotonic())
            self.requests.append(record)
            script = self.scripts.popleft() if self.scripts else self.by_model.get(body.get("model", ""), self.default)
            script = _with_observation(script, body)
            if script.hang_s:
                await asyncio.sleep(script.hang_s)
            if script.status != 200:
                return _error(script.status, script.error_message, "server_error")
            if body.get("stream"):
                include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                stream = self._stream(script, record, body.get("model", ""), include_usage)
                return StreamingResponse(stream, media_type="text/event-stream")
            return JSONResponse(self._whole(script, record, body.get("model", "")))

        return Starlette(
            routes=[
                Route("/v1/models", models, methods=["GET"]),
                Route("/v1/embeddings", embeddings, methods=["POST"]),
                Route("/v1/chat/completions", completions, methods=["POST"]),
                *audio_routes(self),
            ]
        )

    def _whole(self, script: Script, record: Recorded, model: str) -> dict[str, Any]:
        record.chunks_sent = len(script.chunks)
        record.finished = True
        message: dict[str, Any] = {"role": "assistant", "content": "".join(script.chunks)}
        if script.reasoning:
            message[script.reasoning_field] = "".join(script.reasoning)
        if script.tool_calls:
            message["tool_calls"] = [
                {"id": _call_id(c, i), "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for i, c in enumerate(script.tool_calls)
            ]
        completion_tokens = len(script.chunks) + len(script.reasoning)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": _finish(script)}],
            "usage": _usage(script.prompt_tokens, completion_tokens),
        }

    async def _stream(self, script: Script, record: Recorded, model: str, include_usage: bool):  # type: ignore[no-untyped-def]
        chunk_id = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        created = int(time.time())

        def frame(delta: dict[str, Any], finish: str | None = None) -> bytes:
            payload = {
                "id": chunk_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return b"data: " + orjson.dumps(payload) + b"\n\n"

        try:
            if script.first_token_delay_s:
                await asyncio.sleep(script.first_token_delay_s)
            yield frame({"role": "assistant", "content": ""})
            for piece in script.reasoning:
                if script.delay_s:
                    await asyncio.sleep(script.delay_s)
                yield frame({script.reasoning_field: piece})
            for index, piece in enumerate(script.chunks):
                if script.fail_after is not None and index >= script.fail_after:
                    raise ConnectionAbortedError("scripted mid-stream failure")
                if script.delay_s:
                    await asyncio.sleep(script.delay_s)
                record.chunks_sent += 1
                yield frame({"content": piece})
            for fragment in _tool_call_fragments(script):
                if script.delay_s:
                    await asyncio.sleep(script.delay_s)
                yield frame({"tool_calls": [fragment]})
            yield frame({}, _finish(script))
            if include_usage:
                usage = {
                    "id": chunk_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [],
                    "usage": _usage(script.prompt_tokens, len(script.chunks) + len(script.reasoning)),
                }
                yield b"data: " + orjson.dumps(usage) + b"\n\n"
            yield b"data: [DONE]\n\n"
            record.finished = True
        except (asyncio.CancelledError, GeneratorExit):
            record.cancelled = True
            raise

    def start(self) -> ScriptedUpstream:
        """Serve on a free loopback port until stop()."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("scripted upstream did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> ScriptedUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _call_id(call: ToolCallScript, index: int) -> str:
    return call.id or f"call_{index}_{call.name}"


def _finish(script: Script) -> str:
    return "tool_calls" if script.tool_calls and script.finish_reason == "stop" else script.finish_reason


def _tool_call_fragments(script: Script) -> list[dict[str, Any]]:
    """OpenAI's streamed tool calls: a head (index, id, name) then argument pieces that carry only the index."""
    per_call: list[list[dict[str, Any]]] = []
    for index, call in enumerate(script.tool_calls):
        size = max(1, -(-len(call.arguments) // max(1, call.pieces)))
        pieces = [call.arguments[i : i + size] for i in range(0, len(call.arguments), size)] or [""]
        head = {
            "index": index,
            "id": _call_id(call, index),
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        per_call.append([head, *({"index": index, "function": {"arguments": p}} for p in pieces)])
    if not script.interleave:
        return [f for fragments in per_call for f in fragments]
    out: list[dict[str, Any]] = []
    for turn in range(max((len(f) for f in per_call), default=0)):
        out.extend(fragments[turn] for fragments in per_call if turn < len(fragments))
    return out


def last_observation(body: dict[str, Any]) -> str:
    """The last tool result a chat request carries: a `tool` message, or a ReAct transcript's last Observation."""
    for message in reversed(body.get("messages") or []):
        content = message.get("content")
        text = content if isinstance(content, str) else ""
        if message.get("role") == "tool":
            return text
        if "Observation:" in text:
            return text.rsplit("Observation:", 1)[1].strip()
    return ""


def _with_observation(script: Script, body: dict[str, Any]) -> Script:
    if not any("{observation}" in chunk for chunk in script.chunks):
        return script
    observation = last_observation(body)
    chunks = [chunk.replace("{observation}", observation) for chunk in script.chunks]
    return dataclasses.replace(script, chunks=chunks)


@dataclass
class AudioScript:
    """How the upstream answers /v1/audio/transcriptions and /v1/audio/speech."""

    transcript: str = "hello from the scripted audio server"
    language: str = "english"  # verbose_json names languages in English, as OpenAI does
    status: int = 200
    speech_seconds: float = 1.0  # length of the tone /v1/audio/speech returns
    chunk_bytes: int = 4096  # speech is streamed in pieces of this size


def _wav_seconds(data: bytes) -> float:
    """The length of a PCM WAV upload (0.0 when it is something else)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return 0.0
    channels, rate = int.from_bytes(data[22:24], "little"), int.from_bytes(data[24:28], "little")
    bits = int.from_bytes(data[34:36], "little")
    start = data.find(b"data")
    if start < 0 or not rate or not channels or not bits:
        return 0.0
    return max(0, len(data) - start - 8) / (rate * channels * bits // 8)


def _tone(seconds: float, rate: int) -> bytes:
    """A 440 Hz tone as mono 16-bit PCM: real audio that decoders accept."""
    count = int(seconds * rate)
    return b"".join(
        int(8000 * math.sin(2 * math.pi * 440 * i / rate)).to_bytes(2, "little", signed=True) for i in range(count)
    )


def speech_bytes(fmt: str, seconds: float) -> tuple[bytes, str] | None:
    """Speech of the requested response_format as (bytes, media type); None for a format this server lacks."""
    if fmt == "pcm":  # OpenAI's raw format: 24 kHz mono s16le
        return _tone(seconds, 24_000), "audio/pcm"
    pcm = _tone(seconds, 24_000)
    if fmt == "wav":
        header = b"RIFF" + (36 + len(pcm)).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
        header += (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + (24_000).to_bytes(4, "little")
        header += (48_000).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
        return header + b"data" + len(pcm).to_bytes(4, "little") + pcm, "audio/wav"
    if fmt == "mp3":
        import lameenc

        encoder = lameenc.Encoder()
        encoder.set_bit_rate(64)
        encoder.set_in_sample_rate(24_000)
        encoder.set_channels(1)
        return bytes(encoder.encode(pcm)) + bytes(encoder.flush()), "audio/mpeg"
    return None


def audio_routes(upstream: ScriptedUpstream) -> list[Route]:
    """/v1/audio/transcriptions (multipart, json / verbose_json / text) and /v1/audio/speech (streamed audio)."""

    async def transcriptions(request: Request) -> Response:
        if not upstream._authorized(request):
            return _error(401, "invalid api key", "invalid_request_error")
        form = await request.form()
        upload = form.get("file")
        data = await upload.read() if upload is not None and not isinstance(upload, str) else b""
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        body = {**fields, "file_bytes": len(data), "file_name": getattr(upload, "filename", "")}
        upstream.requests.append(Recorded(request.url.path, body, dict(request.headers), time.monotonic()))
        script = upstream.audio
        if script.status != 200:
            return _error(script.status, "scripted transcription failure", "server_error")
        if not data or "model" not in fields:
            return _error(400, "file and model are required", "invalid_request_error")
        fmt = fields.get("response_format", "json")
        duration = _wav_seconds(data)
        if fmt == "text":
            return Response(script.transcript + "\n", media_type="text/plain")
        if fmt == "json":
            return JSONResponse({"text": script.transcript})
        if fmt != "verbose_json":
            return _error(400, f"response_format {fmt} is not supported", "invalid_request_error")
        words = script.transcript.split()
        half = max(1, len(words) // 2)
        pieces = [" ".join(words[:half]), " ".join(words[half:])] if len(words) > 1 else [script.transcript]
        segments = [
            {
                "id": i,
                "seek": 0,
                "start": round(duration * i / len(pieces), 2),
                "end": round(duration * (i + 1) / len(pieces), 2),
                "text": " " + text,
                "tokens": [],
                "temperature": 0.0,
                "avg_logprob": -0.2,
                "compression_ratio": 1.2,
                "no_speech_prob": 0.01,
            }
            for i, text in enumerate(pieces)
        ]
        answer = {"task": "transcribe", "language": script.language, "duration": duration}
        return JSONResponse({**answer, "text": script.transcript, "segments": segments})

    async def speech(request: Request) -> Response:
        if not upstream._authorized(request):
            return _error(401, "invalid api key", "invalid_request_error")
        body = await request.json()
        record = Recorded(request.url.path, body, dict(request.headers), time.monotonic())
        upstream.requests.append(record)
        script = upstream.audio
        if script.status != 200:
            return _error(script.status, "scripted speech failure", "server_error")
        if not body.get("input") or not body.get("model") or not body.get("voice"):
            return _error(400, "model, input and voice are required", "invalid_request_error")
        made = speech_bytes(str(body.get("response_format") or "mp3"), script.speech_seconds)
        if made is None:
            return _error(400, "unsupported response_format", "invalid_request_error")
        data, media_type = made

        async def pieces():  # type: ignore[no-untyped-def]
            for start in range(0, len(data), script.chunk_bytes):
                record.chunks_sent += 1
                yield data[start : start + script.chunk_bytes]
                await asyncio.sleep(0)
            record.finished = True

        return StreamingResponse(pieces(), media_type=media_type)

    return [
        Route("/v1/audio/transcriptions", transcriptions, methods=["POST"]),
        Route("/v1/audio/speech", speech, methods=["POST"]),
    ]


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _error(status: int, message: str, kind: str) -> Response:
    return JSONResponse({"error": {"message": message, "type": kind, "param": None, "code": None}}, status)


def _vector(text: str, dim: int) -> list[float]:
    """A deterministic unit vector per text, so similar requests embed identically."""
    rng = random.Random(hashlib.sha256(text.encode()).digest())
    values = [rng.gauss(0.0, 1.0) for _ in range(dim)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


def main() -> None:
    """Serve a fixed script in the foreground (benchmarks run the upstream in its own process)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--chunks", type=int, default=500)
    parser.add_argument("--delay-ms", type=float, default=20.0, help="gap between chunks of the paced model")
    parser.add_argument("--paced-chunks", type=int, default=100)
    args = parser.parse_args()
    upstream = ScriptedUpstream(models=("mesh-bench-model", "mesh-bench-paced"))
    upstream.default = Script(chunks=[f"tok{i} " for i in range(args.chunks)])
    # Requests for the paced model arrive at a realistic token rate.
    paced = Script(chunks=[f"tok{i} " for i in range(args.paced_chunks)], delay_s=args.delay_ms / 1000)
    upstream.by_model["mesh-bench-paced"] = paced
    uvicorn.run(upstream.app(), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
