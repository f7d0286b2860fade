"""The kit's server interceptor and client helpers: rich errors, deadlines, context propagation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
import pytest_asyncio

from services.kit import context as ctx
from services.kit import grpc_client
from services.kit.errors import DeadlineExceeded, Internal, InvalidArgument, NotFound
from services.kit.grpc_server import HealthRegistry, ServiceBinding, create_server

SEEN: dict[str, Any] = {}


async def _echo_context(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    principal = ctx.principal_var.get()
    SEEN["request_id"] = ctx.request_id_var.get()
    SEEN["principal"] = principal
    return request


async def _fail(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    kind = request.decode()
    if kind == "not_found":
        raise NotFound("app not found", reason="app_not_found")
    if kind == "bad":
        raise InvalidArgument("temperature must be between 0 and 2", field="model.completion_params.temperature")
    raise RuntimeError("secret database password in this message")


async def _slow(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    await asyncio.sleep(5)
    return request


async def _count(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
    for i in range(int(request.decode())):
        yield str(i).encode()
    raise NotFound("ran out", reason="stream_end_error")


def _add(servicer: Any, server: grpc.aio.Server) -> None:
    identity = {"request_deserializer": None, "response_serializer": None}
    handlers = {
        "Echo": grpc.unary_unary_rpc_method_handler(_echo_context, **identity),
        "Fail": grpc.unary_unary_rpc_method_handler(_fail, **identity),
        "Slow": grpc.unary_unary_rpc_method_handler(_slow, **identity),
        "Count": grpc.unary_stream_rpc_method_handler(_count, **identity),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Probe", handlers),))


@pytest_asyncio.fixture(loop_scope="session")
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    server, port = create_server(
        "127.0.0.1:0", bindings=[ServiceBinding("test.Probe", _add, None)], health=HealthRegistry()
    )
    await server.start()
    async with grpc_client.create_channel(f"127.0.0.1:{port}") as chan:
        yield chan
    await server.stop(0)


def _rpc(channel: grpc.aio.Channel, name: str) -> Any:
    return channel.unary_unary(f"/test.Probe/{name}")


async def test_request_id_and_principal_travel_in_metadata(channel: grpc.aio.Channel) -> None:
    token = ctx.request_id_var.set("req-kit-123")
    try:
        who = ctx.Principal(user_id=42, company_id=7, roles=("user",), kind="company_key")
        await grpc_client.unary(_rpc(channel, "Echo"), b"hi", timeout_s=5, principal=who)
    finally:
        ctx.request_id_var.reset(token)
    assert SEEN["request_id"] == "req-kit-123"
    assert SEEN["principal"] == who


async def test_mesh_errors_arrive_with_reason_and_field(channel: grpc.aio.Channel) -> None:
    with pytest.raises(NotFound) as missing:
        await grpc_client.unary(_rpc(channel, "Fail"), b"not_found", timeout_s=5)
    assert missing.value.reason == "app_not_found"
    with pytest.raises(InvalidArgument) as bad:
        await grpc_client.unary(_rpc(channel, "Fail"), b"bad", timeout_s=5)
    assert bad.value.field == "model.completion_params.temperature"


async def test_unexpected_errors_do_not_leak_details(channel: grpc.aio.Channel) -> None:
    with pytest.raises(Internal) as crashed:
        await grpc_client.unary(_rpc(channel, "Fail"), b"crash", timeout_s=5)
    assert "password" not in crashed.value.message


async def test_deadline_is_enforced(channel: grpc.aio.Channel) -> None:
    with pytest.raises(DeadlineExceeded):
        await grpc_client.unary(_rpc(channel, "Slow"), b"x", timeout_s=0.2)


async def test_server_stream_yields_then_maps_the_error(channel: grpc.aio.Channel) -> None:
    received = []
    with pytest.raises(NotFound) as ended:
        async for item in grpc_client.server_stream(
            channel.unary_stream("/test.Probe/Count"), b"3", timeout_s=5, idle_timeout_s=2
        ):
            received.append(item)
    assert received == [b"0", b"1", b"2"]
    assert ended.value.reason == "stream_end_error"
