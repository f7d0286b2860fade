"""Live connectivity checks of OpenAI-compatible endpoints with the `openai` SDK, under a short timeout.

What a check reports is ours, never the remote's words: a status code, "connection failed", a timeout. An
endpoint's error text (or its address) would make the check a way to read or scan what the mesh can reach.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from typing import Any

import openai

from services.chat.generation.upstream import guarded_openai
from services.kit.outbound import OutboundPolicy, refused_by_policy

MAX_MESSAGE = 300
PROBE_TEXT = "ping"


@dataclass(frozen=True)
class ProbeTarget:
    """One model at one endpoint, as a check sees it (nothing here is ever logged)."""

    model_name: str
    model_type: str
    base_url: str
    api_key: str
    embedding_dim: int = 0


@dataclass(frozen=True)
class ProbeResult:
    """The outcome of a check: connected or not, the upstream's message, and how long it took."""

    connected: bool
    message: str
    latency_ms: int

    @property
    def connect_status(self) -> str:
        return "available" if self.connected else "unavailable"


@dataclass(frozen=True)
class ServedModel:
    """A model an upstream lists at /models, with its type as declared or guessed from its id."""

    id: str
    type: str
    description: str


class ProbeFailed(Exception):
    """A check failed with a message fit to show the caller."""


def scrub(message: str, secret: str) -> str:
    """The message without the api key in it, cut to a short length (an upstream may echo what it got)."""
    if secret and len(secret) >= 4:
        message = message.replace(secret, "****")
    message = " ".join(message.split())
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


def guess_type(model_id: str, extra: dict[str, Any]) -> str:
    """The model's type: what the upstream declares, else a guess from its id (OpenAI's /models has no type)."""
    declared = extra.get("type") or extra.get("model_type")
    if isinstance(declared, str) and declared.strip():
        return declared.strip().lower()
    lowered = model_id.lower()
    for needles, kind in (
        (("rerank",), "rerank"),
        (("embed", "bge-", "e5-", "gte-"), "embedding"),
        (("whisper", "asr", "stt", "transcribe"), "stt"),
        (("tts", "speech"), "tts"),
    ):
        if any(needle in lowered for needle in needles):
            return kind
    return "llm"


def _client(target: ProbeTarget, timeout_s: float, policy: OutboundPolicy) -> openai.AsyncOpenAI:
    return guarded_openai(
        base_url=target.base_url,
        api_key=target.api_key,
        timeout_s=timeout_s,
        connect_timeout_s=timeout_s,
        policy=policy,
    )


async def _served(client: openai.AsyncOpenAI) -> list[ServedModel]:
    page = await client.models.list()
    models = []
    for model in page.data:
        extra = dict(model.model_extra or {})
        description = extra.get("description")
        text = description if isinstance(description, str) else f"owned by {model.owned_by}" if model.owned_by else ""
        models.append(ServedModel(id=model.id, type=guess_type(model.id, extra), description=text))
    return models


async def _check(client: openai.AsyncOpenAI, target: ProbeTarget) -> None:
    """One cheap real call by type: a 1-token chat, one embedding, else the model must be listed."""
    if target.model_type in ("llm", "vlm"):
        await client.chat.completions.create(
            model=target.model_name, messages=[{"role": "user", "content": PROBE_TEXT}], max_tokens=1
        )
    elif target.model_type == "embedding":
        reply = await client.embeddings.create(model=target.model_name, input=[PROBE_TEXT])
        dim = len(reply.data[0].embedding) if reply.data else 0
        if not dim:
            raise ProbeFailed("the upstream returned no embedding")
        if target.embedding_dim and dim != target.embedding_dim:
            raise ProbeFailed(f"embedding_dim is {target.embedding_dim} but the upstream returns {dim}-dim vectors")
    else:
        served = [m.id for m in await _served(client)]
        if target.model_name not in served:
            raise ProbeFailed(f"model {target.model_name!r} is not among the {len(served)} models the upstream serves")


def failure_message(error: BaseException, *, timeout_s: float) -> str:
    """What went wrong, as a status of ours: the remote's body, error text and address are never passed on."""
    if isinstance(error, ProbeFailed):
        return str(error)
    if isinstance(error, openai.APIStatusError):
        return f"the endpoint answered HTTP {error.status_code}"
    if isinstance(error, openai.APITimeoutError | TimeoutError):
        return f"the endpoint did not answer within {timeout_s:g}s"
    if refused_by_policy(error):
        return "connection refused: the endpoint's address is not allowed"
    if isinstance(error, openai.APIConnectionError):
        return "connection failed"
    return "the endpoint gave an unexpected answer"


async def probe(
    *, target: ProbeTarget, timeout_s: float, policy: OutboundPolicy, require_listed: bool = False
) -> ProbeResult:
    """Check a model for real within timeout_s; never raises for upstream trouble, never saves anything.

    With require_listed the model must also be in the endpoint's model list, whose declared type picks the check.
    """
    started = time.monotonic()
    client = _client(target, timeout_s, policy)
    try:
        async with asyncio.timeout(timeout_s):
            if require_listed:
                served = {m.id: m for m in await _served(client)}
                if target.model_name not in served:
                    raise ProbeFailed(f"model {target.model_name!r} is not served by the default upstream")
                target = replace(target, model_type=served[target.model_name].type)
            await _check(client, target)
    except Exception as error:  # any failure of a probe is an answer (connectivity false), not a crash
        message = failure_message(error, timeout_s=timeout_s)
        return ProbeResult(False, scrub(message, target.api_key), _ms(started))
    finally:
        await client.close()
    return ProbeResult(True, "Connection successful", _ms(started))


async def probe_endpoint(*, base_url: str, api_key: str, timeout_s: float, policy: OutboundPolicy) -> ProbeResult:
    """Check that an endpoint answers its model list (the /me/healthcheck of the default upstream)."""
    started = time.monotonic()
    client = _client(ProbeTarget("", "", base_url, api_key), timeout_s, policy)
    try:
        async with asyncio.timeout(timeout_s):
            await _served(client)
    except Exception as error:  # as in probe(): a failed check is an answer
        message = failure_message(error, timeout_s=timeout_s)
        return ProbeResult(False, scrub(message, api_key), _ms(started))
    finally:
        await client.close()
    return ProbeResult(True, "Connection successful", _ms(started))


async def list_served(*, base_url: str, api_key: str, timeout_s: float, policy: OutboundPolicy) -> list[ServedModel]:
    """The models an endpoint serves; raises ProbeFailed with a clear message when it cannot be read."""
    client = _client(ProbeTarget("", "", base_url, api_key), timeout_s, policy)
    try:
        async with asyncio.timeout(timeout_s):
            return await _served(client)
    except Exception as error:  # reported to the caller as one clear failure
        message = failure_message(error, timeout_s=timeout_s)
        raise ProbeFailed(scrub(message, api_key)) from None
    finally:
        await client.close()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
