"""The trust boundary inside the mesh, probed as another process on the host would: straight to the service ports.

Forged principal metadata, and credentials signed by a wrong key, expired, or meant for another service, are
refused with UNAUTHENTICATED; the health service still answers; the services listen on 127.0.0.1 only.
"""

from __future__ import annotations

import importlib
import ipaddress
import socket
import time
from typing import Any

import grpc
import httpx
import psutil
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from grpc_health.v1 import health_pb2, health_pb2_grpc
from meshconsole.common.v1 import common_pb2
from meshconsole.identity.v1 import identity_pb2, identity_pb2_grpc

from services.kit import mesh_tokens as mt
from services.kit.context import Principal
from services.kit.errors import from_rpc_error
from services.kit.settings import SERVICE_NAMES
from tests.e2e.conftest import ADMIN_ACCOUNT, ADMIN_PASSWORD, MeshClient, sha, start_mesh

ADMIN = Principal(user_id=1, company_id=1, roles=("admin",))
FORGED = (("x-mesh-user-id", "1"), ("x-mesh-company-id", "1"), ("x-mesh-roles", "admin"))


def mesh_keys(mesh: MeshClient) -> mt.MeshKeys:
    """The keys the launched mesh derives from its secret (dev: no keys set, so all come from MESH_SECRET_KEY)."""
    return mt.MeshKeys.derive((mesh.mesh.data_dir / "secret_key").read_text().strip())


def signer(keys: mt.MeshKeys, kind: str, subject: str) -> mt.CredentialSigner:
    key = keys.gateway_private if kind == mt.GATEWAY else keys.service_private
    assert key is not None
    return mt.CredentialSigner(key, kind=kind, subject=subject)


def address(mesh: MeshClient, service: str) -> str:
    return f"127.0.0.1:{mesh.mesh.service_ports[service]}"


def list_users(mesh: MeshClient, metadata: tuple[tuple[str, str], ...]) -> identity_pb2.ListUsersResponse:
    with grpc.insecure_channel(address(mesh, "identity")) as channel:
        stub = identity_pb2_grpc.IdentityServiceStub(channel)
        reply: identity_pb2.ListUsersResponse = stub.ListUsers(
            identity_pb2.ListUsersRequest(), metadata=metadata, timeout=10
        )
        return reply


def refused(call: Any) -> None:
    with pytest.raises(grpc.RpcError) as failed:
        call()
    assert failed.value.code() == grpc.StatusCode.UNAUTHENTICATED, failed.value
    assert from_rpc_error(failed.value).reason == "invalid_credential"


def pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def first_unary_method(service: str) -> str:
    """/package.Service/Method of a unary RPC the service serves: any RPC must check the credential first."""
    module = importlib.import_module(f"meshconsole.{service}.v1.{service}_pb2")
    for described in module.DESCRIPTOR.services_by_name.values():
        for method in described.methods:
            if not (method.client_streaming or method.server_streaming):
                return f"/{described.full_name}/{method.name}"
    raise AssertionError(f"{service} has no unary RPC")


def credential(token: str) -> tuple[tuple[str, str], ...]:
    return ((mt.CREDENTIAL_KEY, token),)


def test_forged_principal_metadata_is_refused_by_every_service(mesh: MeshClient) -> None:
    for service in SERVICE_NAMES:
        with grpc.insecure_channel(address(mesh, service)) as channel:
            rpc = channel.unary_unary(first_unary_method(service))
            refused(lambda: rpc(b"", metadata=FORGED, timeout=10))  # noqa: B023 - called at once


def test_only_a_credential_the_gateway_key_signed_for_identity_gets_in(mesh: MeshClient) -> None:
    keys = mesh_keys(mesh)
    gateway = signer(keys, mt.GATEWAY, mt.GATEWAY)
    admin = mt.encode_principal(ADMIN)
    # The control: the same principal, signed with the mesh's gateway key for identity, is served.
    users = list_users(mesh, credential(gateway.sign(admin, ["identity"])))
    assert ADMIN_ACCOUNT in {user.user_account for user in users.users}
    stranger = signer(mt.MeshKeys.derive("not-the-mesh-secret"), mt.GATEWAY, mt.GATEWAY)
    expired = gateway.sign(admin, ["identity"], now=time.time() - 3 * mt.TTL_S)
    # A service's own key may act for a user only toward the peers it calls; no service calls identity.
    from_a_service = signer(keys, mt.SERVICE, "files").sign(admin, ["identity"])
    for metadata in (
        (),
        FORGED,
        credential(stranger.sign(admin, ["identity"])),
        credential(expired),
        credential(gateway.sign(admin, ["files", "chat"])),
        credential(from_a_service),
        credential(gateway.sign(admin, ["identity"]) + "x"),
    ):
        refused(lambda: list_users(mesh, metadata))  # noqa: B023 - called at once


def test_rpcs_that_need_no_principal_still_need_the_gateway(mesh: MeshClient) -> None:
    login = identity_pb2.LoginRequest(account=ADMIN_ACCOUNT, password_sha256="0" * 64)
    with grpc.insecure_channel(address(mesh, "identity")) as channel:
        stub = identity_pb2_grpc.IdentityServiceStub(channel)
        refused(lambda: stub.Login(login, timeout=10))
        refused(lambda: stub.GetSigningKeys(common_pb2.Empty(), timeout=10))
        anonymous = signer(mesh_keys(mesh), mt.GATEWAY, mt.GATEWAY).sign("", ["identity"])
        keys = stub.GetSigningKeys(common_pb2.Empty(), metadata=credential(anonymous), timeout=10)
    assert keys.keys and keys.issuer == "meshconsole"


def test_health_answers_every_probe_without_a_credential(mesh: MeshClient) -> None:
    for service in SERVICE_NAMES:
        with grpc.insecure_channel(address(mesh, service)) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, service


def test_services_listen_on_loopback_only(mesh: MeshClient) -> None:
    ports = {port: name for name, port in mesh.mesh.service_ports.items()}
    bound = {
        (conn.laddr.ip, conn.laddr.port)
        for conn in psutil.net_connections(kind="inet")
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port in ports
    }
    assert {port for _, port in bound} == set(ports), bound
    # gRPC may bind a dual-stack socket: ::ffff:127.0.0.1 is 127.0.0.1 too.
    addresses = {ipaddress.ip_address(ip) for ip, _ in bound}
    assert {getattr(ip, "ipv4_mapped", None) or ip for ip in addresses} == {ipaddress.ip_address("127.0.0.1")}, bound
    # And from this host's other addresses nobody answers on those ports.
    outside = [
        entry.address
        for entries in psutil.net_if_addrs().values()
        for entry in entries
        if entry.family == socket.AF_INET and not entry.address.startswith("127.")
    ]
    for ip in outside:
        for port in ports:
            with pytest.raises(OSError):
                socket.create_connection((ip, port), timeout=2).close()


def test_keys_set_apart_reach_only_their_side_and_replace_the_derived_ones(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    gateway_key, service_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    public = gateway_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    keys = {
        "MESH_GATEWAY_TOKEN_KEY": pem(gateway_key),
        "MESH_GATEWAY_TOKEN_PUBLIC_KEY": public.decode(),
        "MESH_SERVICE_TOKEN_KEY": pem(service_key),
    }
    running = start_mesh(tmp_path_factory.mktemp("own-keys"), settings=keys)
    try:
        environments = {name: psutil.Process(proc.pid).environ() for name, proc in running.processes.items()}
        assert "MESH_SERVICE_TOKEN_KEY" not in environments["gateway"]
        assert "MESH_GATEWAY_TOKEN_KEY" in environments["gateway"]
        for service in SERVICE_NAMES:
            assert "MESH_GATEWAY_TOKEN_KEY" not in environments[service], service
            assert environments[service]["MESH_GRPC_BIND_HOST"] == "127.0.0.1"
        # The gateway signs with the key it was given, and the services accept it: a login goes through.
        login = httpx.post(
            f"{running.base_url}/next_console/login_by_password",
            json={"user_account": ADMIN_ACCOUNT, "user_password": sha(ADMIN_PASSWORD)},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        # The key derived from the secret no longer opens anything.
        derived = mt.MeshKeys.derive((running.data_dir / "secret_key").read_text().strip())
        token = signer(derived, mt.GATEWAY, mt.GATEWAY).sign(mt.encode_principal(ADMIN), ["identity"])
        with grpc.insecure_channel(f"127.0.0.1:{running.service_ports['identity']}") as channel:
            stub = identity_pb2_grpc.IdentityServiceStub(channel)
            refused(lambda: stub.ListUsers(identity_pb2.ListUsersRequest(), metadata=credential(token), timeout=10))
            given = mt.CredentialSigner(gateway_key, kind=mt.GATEWAY, subject=mt.GATEWAY)
            good = credential(given.sign(mt.encode_principal(ADMIN), ["identity"]))
            assert stub.ListUsers(identity_pb2.ListUsersRequest(), metadata=good, timeout=10).users
    finally:
        running.stop()
