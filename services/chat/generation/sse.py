"""The cheap SSE path: an upstream's raw bytes to deltas with orjson, read less often while the process is behind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from services.kit.errors import Unavailable

# A chunk already in the buffer comes back in µs; one that took longer than this waited on the network.
_BUFFERED_S = 0.001


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


async def read_deltas(chunks: AsyncIterator[bytes], hold_s: Callable[[], float] | None = None) -> AsyncIterator[Delta]:
    """Deltas of an SSE body until `[DONE]` or its end; the events of one chunk are merged where order allows.

    `hold_s` (the process's lag-based hold) lets a reader that fell behind read less often: when a read had to wait
    for the network, and text has gone out already, the next read waits hold_s, so the events sent meanwhile are
    read from the buffer in one go instead of one socket wake-up each (never before the first text).
    """
    loop = asyncio.get_running_loop()
    pending = b""
    sent_text = False
    iterator = aiter(chunks)
    while True:
        asked = loop.time()
        try:
            chunk = await anext(iterator)
        except StopAsyncIteration:
            return
        waited = loop.time() - asked > _BUFFERED_S
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
        if waited and sent_text and hold_s is not None and (hold := hold_s()):
            await asyncio.sleep(hold)
        sent_text = sent_text or (merged is not None and bool(merged.content or merged.reasoning))
