"""The server interceptor's trust boundary: only calls with a valid mesh credential get through; health stays open;
a service forwards its caller's credential; with mTLS a client needs a certificate the mesh CA signed."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.kit import context as ctx
from services.kit import grpc_client, mesh_tokens
from services.kit.context import Principal
from services.kit.errors import Unauthenticated, Unavailable
from services.kit.grpc_server import HealthRegistry, ServiceBinding, create_health_server, create_server
from services.kit.mesh_tls import MeshTls
from services.kit.mesh_tokens import MeshSecurity
from services.kit.testing.credentials import credential_metadata, security_for_tests

ALICE = Principal(user_id=42, company_id=7, roles=("user",))


@dataclass
class Seen:
    principals: list[Principal | None] = field(default_factory=list)
    credentials: list[str] = field(default_factory=list)


def _echo(seen: Seen) -> Any:
    async def echo(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        current = mesh_tokens.credential_var.get()
        seen.principals.append(ctx.principal_var.get())
        seen.credentials.append(current.raw if current else "")
        return request

    return echo


def _binding(name: str, handler: Any) -> ServiceBinding:
    def add(servicer: Any, server: grpc.aio.Server) -> None:
        method = grpc.unary_unary_rpc_method_handler(handler)
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(name, {"Echo": method}),))

    return ServiceBinding(name, add, None)


@pytest_asyncio.fixture(loop_scope="session")
async def probe() -> AsyncIterator[tuple[str, Seen]]:
    seen = Seen()
    server, port = create_server(
        "127.0.0.1:0", bindings=[_binding("test.Probe", _echo(seen))], health=(health := HealthRegistry())
    )
    await server.start()
    await health.set_all(serving=True)
    yield f"127.0.0.1:{port}", seen
    await server.stop(0)


async def _raw_call(address: str, metadata: tuple[tuple[str, str], ...]) -> bytes:
    """A call over a plain channel, with exactly the metadata given (what any process on the host could send)."""
    async with grpc.aio.insecure_channel(address) as channel:
        return bytes(
            await grpc_client.unary(
                channel.unary_unary("/test.Probe/Echo"), b"hi", timeout_s=5, extra_metadata=metadata
            )
        )


async def test_calls_without_a_valid_credential_are_unauthenticated(probe: tuple[str, Seen]) -> None:
    address, seen = probe
    forged = (("x-mesh-user-id", "1"), ("x-mesh-company-id", "1"), ("x-mesh-roles", "admin"))
    stranger = security_for_tests("not-the-mesh-secret").signer.sign(
        mesh_tokens.encode_principal(ALICE), ["test.Probe"]
    )
    for metadata in (
        (),
        forged,
        ((mesh_tokens.CREDENTIAL_KEY, "garbage"),),
        ((mesh_tokens.CREDENTIAL_KEY, stranger),),
        credential_metadata(ALICE, audience=("identity",)),
    ):
        with pytest.raises(Unauthenticated) as refused:
            await _raw_call(address, metadata)
        assert refused.value.reason == "invalid_credential", metadata
    assert seen.principals == []
    assert await _raw_call(address, credential_metadata(ALICE, audience=("test.Probe",))) == b"hi"
    assert seen.principals == [ALICE]


async def test_health_answers_without_a_credential(probe: tuple[str, Seen]) -> None:
    address, _ = probe
    async with grpc.aio.insecure_channel(address) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_a_mesh_channel_signs_for_the_principal_or_for_no_one(probe: tuple[str, Seen]) -> None:
    address, seen = probe
    async with grpc_client.create_channel(address) as channel:
        rpc = channel.unary_unary("/test.Probe/Echo")
        await grpc_client.unary(rpc, b"x", timeout_s=5, principal=ALICE)
        await grpc_client.unary(rpc, b"x", timeout_s=5)
    assert seen.principals[-2:] == [ALICE, None]


async def test_a_service_forwards_its_callers_credential_to_a_peer() -> None:
    back_seen, front_seen = Seen(), Seen()
    back, back_port = create_server(
        "127.0.0.1:0", bindings=[_binding("test.Back", _echo(back_seen))], health=HealthRegistry()
    )
    peer = grpc_client.create_channel(f"127.0.0.1:{back_port}")

    async def front_echo(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        await _echo(front_seen)(request, context)
        return bytes(await grpc_client.unary(peer.unary_unary("/test.Back/Echo"), request, timeout_s=5))

    front, front_port = create_server(
        "127.0.0.1:0", bindings=[_binding("test.Front", front_echo)], health=HealthRegistry()
    )
    await back.start()
    await front.start()
    try:
        sent = credential_metadata(ALICE, audience=("test.Front", "test.Back"))
        async with grpc.aio.insecure_channel(f"127.0.0.1:{front_port}") as channel:
            reply = await grpc_client.unary(
                channel.unary_unary("/test.Front/Echo"), b"fwd", timeout_s=5, extra_metadata=sent
            )
    finally:
        await peer.close()
        await front.stop(0)
        await back.stop(0)
    assert reply == b"fwd"
    assert front_seen.credentials == [sent[0][1]] and back_seen.credentials == [sent[0][1]]
    assert back_seen.principals == [ALICE]


# --------------------------------------------------------------------------- mTLS
def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[x509.Name, Any] | None
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    issuer_name, issuer_key = issuer or (_name(subject), key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
    )
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    else:
        sans = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(item: Any) -> bytes:
    if isinstance(item, x509.Certificate):
        return item.public_bytes(serialization.Encoding.PEM)
    return bytes(
        item.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def _authority(name: str) -> tuple[bytes, Any]:
    key = ec.generate_private_key(ec.SECP256R1())
    return _pem(_certificate(name, key, None)), (_name(name), key)


def _issued(subject: str, authority: tuple[x509.Name, Any]) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    return _pem(_certificate(subject, key, authority)), _pem(key)


async def _health_status(channel: Any) -> Any:
    reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    return reply.status


async def test_with_mtls_only_clients_holding_a_mesh_certificate_get_in(tmp_path: Path) -> None:
    ca, authority = _authority("mesh-ca")
    other_ca, other_authority = _authority("other-ca")
    server_cert, server_key = _issued("chat", authority)
    client_cert, client_key = _issued("gateway", authority)
    rogue_cert, rogue_key = _issued("rogue", other_authority)
    base = security_for_tests()
    seen = Seen()
    health = HealthRegistry()
    server, port = create_server(
        "127.0.0.1:0",
        bindings=[_binding("test.Probe", _echo(seen))],
        health=health,
        security=MeshSecurity(base.signer, base.verifier, MeshTls(server_cert, server_key, ca)),
    )
    probes, probe_port = create_health_server("127.0.0.1:0", health=health)
    await server.start()
    await probes.start()
    await health.set_all(serving=True)
    address = f"127.0.0.1:{port}"
    try:
        member = MeshSecurity(base.signer, tls=MeshTls(client_cert, client_key, ca))
        async with grpc_client.create_channel(address, security=member) as channel:
            assert (
                await grpc_client.unary(channel.unary_unary("/test.Probe/Echo"), b"tls", timeout_s=5, principal=ALICE)
                == b"tls"
            )
        assert seen.principals == [ALICE]
        strangers = [
            grpc.aio.insecure_channel(address),
            grpc.aio.secure_channel(address, grpc.ssl_channel_credentials(root_certificates=ca)),
            grpc.aio.secure_channel(address, grpc.ssl_channel_credentials(ca, rogue_key, rogue_cert)),
        ]
        for channel in strangers:
            async with channel:
                with pytest.raises(Unavailable):
                    await grpc_client.unary(
                        channel.unary_unary("/test.Probe/Echo"),
                        b"x",
                        timeout_s=5,
                        extra_metadata=credential_metadata(ALICE),
                    )
                with pytest.raises(grpc.aio.AioRpcError):
                    await _health_status(channel)
        assert seen.principals == [ALICE]
        # The kubelet's plaintext probe port answers health, and nothing else.
        async with grpc.aio.insecure_channel(f"127.0.0.1:{probe_port}") as channel:
            assert await _health_status(channel) == health_pb2.HealthCheckResponse.SERVING
            with pytest.raises(grpc.aio.AioRpcError) as missing:
                await channel.unary_unary("/test.Probe/Echo")(b"x", metadata=credential_metadata(ALICE), timeout=5)
            assert missing.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        await probes.stop(0)
        await server.stop(0)
    assert other_ca != ca


def test_tls_files_go_together(tmp_path: Path) -> None:
    (tmp_path / "tls.crt").write_bytes(b"cert")
    assert MeshTls.from_files(cert_file="", key_file="", ca_file="") is None
    with pytest.raises(ValueError, match="go together"):
        MeshTls.from_files(cert_file=str(tmp_path / "tls.crt"), key_file="", ca_file="")
