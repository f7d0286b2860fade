"""Client channels with deadlines; each call carries the request id, trace context and its principal's credential."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import grpc

from services.kit import context as ctx
from services.kit.errors import DeadlineExceeded, from_rpc_error
from services.kit.mesh_tokens import ACT_AS_KEY, MeshSecurity, encode_principal, installed
from services.kit.tracing import end_client_span_when_done, start_client_span

ResponseT = TypeVar("ResponseT")

# Above the largest message a stored record can make, so no record becomes unreadable: files.FetchImage's image
# (MESH_FILES_MAX_IMAGE_MB, 30 MiB), and a page of 100 chat messages with 100,000-character queries (40 MB at
# 4 bytes a character) plus their answers. File bytes travel in chunks of 1 MiB; extracted text is capped at
# MESH_FILES_EXTRACT_MAX_CHARS (200,000 characters) per object.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
MESSAGE_LIMITS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
]
# A peer that starts after us (or restarts) is reached within a second or two: gRPC's default reconnect
# backoff grows to 120 s, and calls fail fast with UNAVAILABLE the whole time.
_RECONNECT = [
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.min_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 2_000),
]
_CHANNEL_OPTIONS = [*MESSAGE_LIMITS, *_RECONNECT, ("grpc.keepalive_time_ms", 30_000), ("grpc.enable_retries", 1)]


class _Sealed:
    """A stub method whose calls leave with a credential for the service the method belongs to, in a CLIENT span."""

    __slots__ = ("_call", "_method", "_security")

    def __init__(self, call: Callable[..., Any], method: str, security: MeshSecurity) -> None:
        self._call = call
        self._method = method
        self._security = security

    def __call__(self, *args: Any, metadata: Any = None, **kwargs: Any) -> Any:
        span, trace_metadata = start_client_span(self._method)
        try:
            call = self._call(*args, metadata=self._security.seal(metadata, self._method) + trace_metadata, **kwargs)
        except BaseException:
            span.end()
            raise
        end_client_span_when_done(span, call)
        return call


class MeshChannel:
    """A channel to one peer in the mesh (mTLS when configured) whose stubs attach the mesh credential."""

    def __init__(self, channel: grpc.aio.Channel, security: MeshSecurity) -> None:
        self.channel = channel
        self.security = security

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> _Sealed:
        return _Sealed(self.channel.unary_unary(method, *args, **kwargs), method, self.security)

    def unary_stream(self, method: str, *args: Any, **kwargs: Any) -> _Sealed:
        return _Sealed(self.channel.unary_stream(method, *args, **kwargs), method, self.security)

    def stream_unary(self, method: str, *args: Any, **kwargs: Any) -> _Sealed:
        return _Sealed(self.channel.stream_unary(method, *args, **kwargs), method, self.security)

    def stream_stream(self, method: str, *args: Any, **kwargs: Any) -> _Sealed:
        return _Sealed(self.channel.stream_stream(method, *args, **kwargs), method, self.security)

    async def channel_ready(self) -> None:
        await self.channel.channel_ready()

    async def close(self, grace: float | None = None) -> None:
        await self.channel.close(grace)

    async def __aenter__(self) -> MeshChannel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def create_channel(address: str, *, security: MeshSecurity | None = None) -> MeshChannel:
    """A channel to a peer inside the mesh; `security` defaults to the one this process installed."""
    security = security or installed()
    if security.tls is None:
        channel = grpc.aio.insecure_channel(address, options=_CHANNEL_OPTIONS)
    else:
        channel = grpc.aio.secure_channel(address, security.tls.channel_credentials(), options=_CHANNEL_OPTIONS)
    return MeshChannel(channel, security)


def outgoing_metadata(principal: ctx.Principal | None = None) -> tuple[tuple[str, str], ...]:
    """Request id plus whom the call acts for (explicit, or the current request's principal).

    The channel turns the latter into a credential: the current call's own one when it is for the same principal,
    else one this process signs (the gateway key in the gateway, the service key in a service).
    """
    items: list[tuple[str, str]] = []
    request_id = ctx.request_id_var.get()
    if request_id:
        items.append((ctx.REQUEST_ID_HEADER, request_id))
    who = principal or ctx.principal_var.get()
    if who is not None:
        items.append((ACT_AS_KEY, encode_principal(who)))
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
