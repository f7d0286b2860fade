"""Calls OpenAI-compatible upstreams with the `openai` SDK, streaming the raw SSE bytes (the cheap path)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, cast

import httpx
import openai

from services.chat.generation.pacing import LAG
from services.chat.generation.sse import Delta, parse_chunk, read_deltas
from services.chat.models.registry import ResolvedModel
from services.kit.errors import DeadlineExceeded, FailedPrecondition, InvalidArgument, MeshError, Unavailable
from services.kit.outbound import GuardedTransport, OutboundPolicy
from services.kit.tracing import traced_transport


def guarded_openai(
    *,
    base_url: str,
    api_key: str,
    timeout_s: float,
    connect_timeout_s: float,
    policy: OutboundPolicy,
    limits: httpx.Limits | None = None,
) -> openai.AsyncOpenAI:
    """An AsyncOpenAI client whose every connection passes the outbound policy."""
    # The URL was checked when it was stored, but its host may resolve elsewhere later (DNS rebinding): the SDK
    # takes our httpx client, whose transport resolves, checks and pins each new connection itself.
    http = httpx.AsyncClient(
        transport=traced_transport(GuardedTransport(policy, limits=limits)),
        timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
        follow_redirects=True,
    )
    return openai.AsyncOpenAI(
        base_url=base_url,
        api_key=api_key or "none",
        timeout=openai.Timeout(timeout_s, connect=connect_timeout_s),
        max_retries=0,
        # openai 3 takes an `httpx` client as well as its own `httpx2` one (openai._httpx2), as its checks
        # and error mapping show; only its annotation names httpx2.
        http_client=http,  # type: ignore[arg-type]
    )


class UpstreamClients:
    """One AsyncOpenAI client (and connection pool) per base_url and key, guarded by the model endpoint policy."""

    def __init__(
        self, *, timeout_s: float, connect_timeout_s: float, policy: OutboundPolicy, max_connections: int = 100
    ) -> None:
        self._timeouts = (timeout_s, connect_timeout_s)
        self.policy = policy
        # Each streaming answer holds one HTTP/1.1 connection for its whole length: the pool must hold as many
        # connections as streams run at once, or the rest queue for one (1,000 streams waited 10 s at 100).
        self.limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=min(max_connections, 256))
        self._clients: dict[tuple[str, str], openai.AsyncOpenAI] = {}

    def client(self, model: ResolvedModel) -> openai.AsyncOpenAI:
        key = (model.base_url, model.api_key)
        found = self._clients.get(key)
        if found is None:
            timeout_s, connect_timeout_s = self._timeouts
            found = guarded_openai(
                base_url=model.base_url,
                api_key=model.api_key,
                timeout_s=timeout_s,
                connect_timeout_s=connect_timeout_s,
                policy=self.policy,
                limits=self.limits,
            )
            self._clients[key] = found
        return found

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()

    async def stream_chat(
        self,
        model: ResolvedModel,
        *,
        messages: Sequence[Mapping[str, Any]],
        params: dict[str, Any],
        stop: asyncio.Event,
    ) -> AsyncIterator[Delta]:
        """Stream a chat completion until done or `stop` is set; upstream failures raise MeshError."""
        client = self.client(model)
        LAG.ensure_running()
        body = {"stream_options": {"include_usage": True}, **params}
        try:
            async with client.chat.completions.with_streaming_response.create(
                model=model.model_name,
                messages=cast(Any, messages),
                stream=True,
                **body,
            ) as response:
                # Closing the response ends the upstream request at once, even while it is silent.
                watcher = asyncio.create_task(_close_on(stop, response))
                try:
                    # Raw bytes, not the SDK's lines or typed chunks: the per-token cost stays a few µs.
                    async for delta in read_deltas(response.iter_bytes(), LAG.hold_s):
                        yield delta
                except MeshError:
                    raise
                except Exception as error:  # the SDK's transport raises its own httpx flavour
                    if stop.is_set():
                        return
                    raise Unavailable(
                        f"upstream model {model.model_name} broke off the stream: {type(error).__name__}",
                        reason="upstream_stream_broken",
                    ) from None
                finally:
                    watcher.cancel()
        except openai.APIStatusError as error:
            raise upstream_error(error) from None
        except openai.APITimeoutError:
            raise DeadlineExceeded(f"upstream model {model.model_name} timed out", reason="upstream_timeout") from None
        except openai.APIConnectionError as error:
            raise Unavailable(
                f"upstream model {model.model_name} is unreachable: {error}", reason="upstream_unavailable"
            ) from None

    async def complete(self, model: ResolvedModel, *, messages: list[dict[str, str]], params: dict[str, Any]) -> str:
        """A whole (non-streamed) answer, for short internal tasks like titles and suggestions."""
        try:
            reply = await self.client(model).chat.completions.create(
                model=model.model_name,
                messages=cast(Any, messages),
                **params,
            )
        except openai.APIStatusError as error:
            raise upstream_error(error) from None
        except (openai.APIConnectionError, openai.APITimeoutError) as error:
            raise Unavailable(f"upstream model is unreachable: {error}", reason="upstream_unavailable") from None
        return reply.choices[0].message.content or "" if reply.choices else ""


async def _close_on(stop: asyncio.Event, response: Any) -> None:
    await stop.wait()
    await response.close()


def upstream_error(error: openai.APIStatusError) -> MeshError:
    """Map the upstream's HTTP failure to our error hierarchy, keeping its message."""
    message = f"upstream model error ({error.status_code}): {_message(error)}"
    if error.status_code in (400, 404, 422):
        return InvalidArgument(message, reason="upstream_rejected")
    if error.status_code in (401, 403):
        return FailedPrecondition(message, reason="upstream_auth_failed")
    if error.status_code == 429:
        return Unavailable(message, reason="upstream_rate_limited")
    return Unavailable(message, reason="upstream_error")


def _message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return error.message


__all__ = ["Delta", "UpstreamClients", "guarded_openai", "parse_chunk", "upstream_error"]
