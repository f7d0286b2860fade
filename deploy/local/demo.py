"""`make demo`: the mesh plus a scripted OpenAI-compatible upstream that echoes, as the default model; no network."""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import Message, Receive, Scope, Send

from deploy.local import launcher
from services.kit.testing.openai_upstream import Script, ScriptedUpstream

# Named so nobody mistakes its answers for a model's.
DEMO_MODEL = "demo-echo (not a language model)"
DEMO_KEY = "demo-not-a-secret"
_PIECES = re.compile(r"\S+\s*")


def echo_text(body: bytes) -> str:
    """What the demo answers to one chat completion request: the last user message, said back."""
    try:
        request = orjson.loads(body)
    except orjson.JSONDecodeError:
        request = {}
    messages = request.get("messages") if isinstance(request, dict) else None
    said = ""
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, dict) and message.get("role") == "user" and isinstance(message.get("content"), str):
            said = message["content"]
    return f"Echo: {said.strip()} ({DEMO_MODEL}; connect a real model to get answers)"


class EchoUpstream(ScriptedUpstream):
    """The tests' scripted upstream, answering each chat request with its own echo, a word per chunk."""

    def __init__(self, *, chunk_delay_s: float = 0.02) -> None:
        super().__init__(models=(DEMO_MODEL,), api_key=DEMO_KEY)
        self.chunk_delay_s = chunk_delay_s

    def app(self) -> Starlette:
        scripted = super().app()

        async def echo(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or not scope["path"].endswith("/chat/completions"):
                await scripted(scope, receive, send)
                return
            body, more = b"", True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
            self.push(Script(chunks=_PIECES.findall(echo_text(body)), delay_s=self.chunk_delay_s))
            # The scripted app reads the body again; hand it the copy we took.
            replay: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

            async def receive_again() -> Message:
                return replay.pop() if replay else await receive()

            await scripted(scope, receive_again, send)

        # Recorded requests would grow without end in a long-running demo.
        self.requests = _Forgetful()
        return Starlette(routes=[Mount("/", app=echo)])


class _Forgetful(list[Any]):
    """A request log that keeps nothing."""

    def append(self, item: Any) -> None:
        return None


def main() -> int:
    """Start the echo upstream, then the mesh with it as the platform's default model, until Ctrl-C."""
    with EchoUpstream() as upstream:
        config = launcher.LaunchConfig.from_env()
        config.openai = {
            "OPENAI_BASE_URL": upstream.base_url,
            "OPENAI_API_KEY": DEMO_KEY,
            "MESH_DEFAULT_MODEL": DEMO_MODEL,
        }
        return launcher.run(config, notes=[("demo model", f"{DEMO_MODEL}, answering from {upstream.base_url}")])


if __name__ == "__main__":
    raise SystemExit(main())
