"""The cheap SSE path: an upstream's raw bytes to deltas, one delta per network read when the order allows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

from services.kit.errors import Unavailable


@dataclass(slots=True)
class Delta:
    """One parsed upstream chunk (or several merged): text and/or reasoning; usage and finish reason at the end."""

    content: str = ""
    reasoning: str = ""
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    # Raw `delta.tool_calls` fragments (index, id, function name, a piece of the arguments), merged by the agent.
    tool_calls: list[dict[str, Any]] | None = None


def parse_chunk(data: bytes | str) -> Delta | None:
    """The delta of one `data:` payload; None for a payload that is not JSON; an error payload raises."""
    try:
        chunk = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(chunk, dict):
        return None
    if "error" in chunk and not chunk.get("choices"):
        message = (chunk.get("error") or {}).get("message", "upstream error")
        raise Unavailable(f"upstream error: {message}", reason="upstream_error")
    delta = Delta()
    choices = chunk.get("choices")
    if choices:
        choice = choices[0]
        part = choice.get("delta") or {}
        delta.content = part.get("content") or ""
        delta.reasoning = part.get("reasoning_content") or part.get("reasoning") or part.get("reason_content") or ""
        delta.finish_reason = choice.get("finish_reason")
        delta.tool_calls = part.get("tool_calls") or None
    usage = chunk.get("usage")
    if usage:
        delta.prompt_tokens = usage.get("prompt_tokens")
        delta.completion_tokens = usage.get("completion_tokens")
    return delta


def merge_into(head: Delta, tail: Delta) -> bool:
    """Append tail to head when that keeps the order a reader sees (reasoning before text, text before tool calls)."""
    if (tail.reasoning and head.content) or ((tail.content or tail.reasoning) and head.tool_calls):
        return False
    head.content += tail.content
    head.reasoning += tail.reasoning
    head.finish_reason = tail.finish_reason or head.finish_reason
    if tail.prompt_tokens is not None:
        head.prompt_tokens = tail.prompt_tokens
    if tail.completion_tokens is not None:
        head.completion_tokens = tail.completion_tokens
    if tail.tool_calls:
        head.tool_calls = [*(head.tool_calls or ()), *tail.tool_calls]
    return True


async def read_deltas(chunks: AsyncIterator[bytes]) -> AsyncIterator[Delta]:
    """Deltas of an SSE body until `[DONE]` or its end.

    A reader that keeps up gets one event per read, so one delta per chunk; a reader that fell behind finds several
    events in one read and passes them on as one delta, so its cost per token falls as the load rises.
    """
    pending = b""
    async for chunk in chunks:
        pending = pending + chunk if pending else chunk
        cut = pending.rfind(b"\n")
        if cut < 0:
            continue
        complete, pending = pending[:cut], pending[cut + 1 :]
        merged: Delta | None = None
        finished = False
        for line in complete.split(b"\n"):
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            if data == b"[DONE]":
                finished = True
                break
            delta = parse_chunk(data)
            if delta is None:
                continue
            if merged is None:
                merged = delta
            elif not merge_into(merged, delta):
                yield merged
                merged = delta
        if merged is not None:
            yield merged
        if finished:
            return
