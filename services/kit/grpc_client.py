"""Client channels with deadlines; every call carries the request id and the caller's principal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import grpc

from services.kit import context as ctx
from services.kit.errors import DeadlineExceeded, from_rpc_error

ResponseT = TypeVar("ResponseT")

_CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 32 * 1024 * 1024),
    ("grpc.max_send_message_length", 32 * 1024 * 1024),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.enable_retries", 1),
]


def create_channel(address: str) -> grpc.aio.Channel:
    """An insecure aio channel to a peer inside the mesh (TLS terminates at the mesh edge)."""
    return grpc.aio.insecure_channel(address, options=_CHANNEL_OPTIONS)


def outgoing_metadata(principal: ctx.Principal | None = None) -> tuple[tuple[str, str], ...]:
    """Request id plus the principal (explicit, or the one the current request runs as)."""
    items: list[tuple[str, str]] = []
    request_id = ctx.request_id_var.get()
    if request_id:
        items.append((ctx.REQUEST_ID_HEADER, request_id))
    who = principal or ctx.principal_var.get()
    if who is not None:
        items.extend(who.to_metadata())
    return tuple(items)


async def unary(
    rpc: Any,
    request: Any,
    *,
    timeout_s: float,
    principal: ctx.Principal | None = None,
    extra_metadata: tuple[tuple[str, str], ...] = (),
) -> Any:
    """Make one unary call with a deadline; a failed call raises the MeshError the peer raised."""
    try:
        return await rpc(request, timeout=timeout_s, metadata=outgoing_metadata(principal) + extra_metadata)
    except grpc.aio.AioRpcError as error:
        raise from_rpc_error(error) from None


async def server_stream(
    rpc: Any,
    request: Any,
    *,
    timeout_s: float,
    idle_timeout_s: float,
    principal: ctx.Principal | None = None,
) -> AsyncIterator[Any]:
    """Iterate a server stream with an overall deadline and an idle timeout; cancels the call on exit."""
    call = rpc(request, timeout=timeout_s, metadata=outgoing_metadata(principal))
    try:
        while True:
            try:
                message = await asyncio.wait_for(call.read(), timeout=idle_timeout_s)
            except TimeoutError:
                raise DeadlineExceeded("stream idle timeout", reason="stream_idle_timeout") from None
            if message is grpc.aio.EOF:
                return
            yield message
    except grpc.aio.AioRpcError as error:
        raise from_rpc_error(error) from None
    finally:
        call.cancel()
