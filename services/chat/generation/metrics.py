"""Generation metrics per model: time to first token, tokens per second, streams and upstream errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import TypeVar

from prometheus_client import Counter, Histogram

from services.chat.generation.prompt import estimate_tokens
from services.chat.generation.upstream import Delta
from services.kit.errors import MeshError

DeltaT = TypeVar("DeltaT", bound=Delta)

TIME_TO_FIRST_TOKEN = Histogram(
    "mesh_generation_time_to_first_token_seconds",
    "From the upstream request (or agent run) to the first text or reasoning token",
    ["model"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60),
)
TOKENS_PER_SECOND = Histogram(
    "mesh_generation_tokens_per_second",
    "Completion tokens per second after the first token, per stream",
    ["model"],
    buckets=(1, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000),
)
COMPLETION_TOKENS = Counter(
    "mesh_generation_completion_tokens_total", "Completion tokens streamed (upstream usage, else estimated)", ["model"]
)
STREAMS = Counter(
    "mesh_generation_streams_total",
    "Generation streams, by outcome (completed, error, cancelled)",
    ["model", "outcome"],
)
UPSTREAM_ERRORS = Counter(
    "mesh_generation_upstream_errors_total",
    "Upstream model failures, by reason (upstream_error, upstream_timeout, upstream_rate_limited, …)",
    ["model", "reason"],
)


async def observed_stream(model: str, source: AsyncIterator[DeltaT]) -> AsyncIterator[DeltaT]:
    """Pass the deltas through unchanged, recording the stream's metrics for `model` as it goes and when it ends."""
    started = time.perf_counter()
    first_token_at = 0.0
    reported_tokens: int | None = None
    texts: list[str] = []
    outcome = "error"
    try:
        async for delta in source:
            if delta.completion_tokens is not None:
                reported_tokens = delta.completion_tokens
            if delta.content or delta.reasoning:
                if not first_token_at:
                    first_token_at = time.perf_counter()
                    TIME_TO_FIRST_TOKEN.labels(model).observe(first_token_at - started)
                texts.append(delta.content + delta.reasoning)
            yield delta
        outcome = "completed"
    except MeshError as error:
        # Only the upstream's own failures; refusals of ours (bad input, missing app) are not the model's.
        if error.reason.startswith("upstream"):
            UPSTREAM_ERRORS.labels(model, error.reason).inc()
        raise
    except (asyncio.CancelledError, GeneratorExit):
        outcome = "cancelled"
        raise
    finally:
        STREAMS.labels(model, outcome).inc()
        if first_token_at:
            tokens = reported_tokens if reported_tokens is not None else estimate_tokens("".join(texts))
            COMPLETION_TOKENS.labels(model).inc(tokens)
            elapsed = time.perf_counter() - first_token_at
            if tokens and elapsed > 0:
                TOKENS_PER_SECOND.labels(model).observe(tokens / elapsed)
