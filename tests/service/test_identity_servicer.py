"""The identity servicer in-process on port 0, on SQLite and on PostgreSQL."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import struct_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from meshconsole.common.v1 import common_pb2
from meshconsole.identity.v1 import identity_pb2, identity_pb2_grpc

from services.identity.app import IdentityProcess
from services.identity.credentials import client_password_digest
from services.kit.context import Principal
from services.kit.errors import from_rpc_error
from services.kit.jwt_tokens import TokenVerifier
from services.kit.testing.credentials import credential_metadata
from tests.service.conftest import ADMIN_ACCOUNT, ADMIN_PASSWORD

Identity = tuple[IdentityProcess, grpc.aio.Channel]


def _md(principal: Principal) -> tuple[tuple[str, str], ...]:
    return (("x-request-id", "req-test-1"), *credential_metadata(principal))


async def _login(
    stub: identity_pb2_grpc.IdentityServiceStub, account: str, password: str
) -> identity_pb2.TokenResponse:
    request = identity_pb2.LoginRequest(
        account=account, password_sha256=client_password_digest(password), client_ip="10.9.9.9"
    )
    return await stub.Login(request)


async def _verifier(stub: identity_pb2_grpc.IdentityServiceStub) -> TokenVerifier:
    keys = await stub.GetSigningKeys(common_pb2.Empty())
    return TokenVerifier({k.kid: k.public_key_pem for k in keys.keys})


async def test_health_reports_serving_for_the_service(identity: Identity) -> None:
    _, channel = identity
    health = health_pb2_grpc.HealthStub(channel)
    reply = await health.Check(health_pb2.HealthCheckRequest(service="meshconsole.identity.v1.IdentityService"))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_admin_login_issues_a_verifiable_token(identity: Identity) -> None:
    _, channel = identity
    stub = identity_pb2_grpc.IdentityServiceStub(channel)
    reply = await _login(stub, ADMIN_ACCOUNT.upper(), ADMIN_PASSWORD)
    principal = (await _verifier(stub)).verify(reply.token)
    assert principal.is_admin
    assert reply.user.user_account == ADMIN_ACCOUNT
    assert reply.user.user_company == "MeshConsole"
    assert reply.token_type == "Bearer"


async def test_wrong_password_and_unknown_account_fail_identically(identity: Identity) -> None:
    _, channel = identity
    stub = identity_pb2_grpc.IdentityServiceStub(channel)
    failures = []
    for account, password in ((ADMIN_ACCOUNT, "nope-nope"), ("ghost@mesh.test", ADMIN_PASSWORD)):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _login(stub, account, password)
        error = from_rpc_error(caught.value)
        failures.append((caught.value.code(), error.reason, error.message))
    assert failures[0] == failures[1] == (grpc.StatusCode.UNAUTHENTICATED, "login_failed", "账号或者密码错误!")


async def test_failed_logins_lock_the_account(identity: Identity) -> None:
    _, channel = identity
    stub = identity_pb2_grpc.IdentityServiceStub(channel)
    for _ in range(3):
        with pytest.raises(grpc.aio.AioRpcError):
            await _login(stub, ADMIN_ACCOUNT, "wrong-password")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _login(stub, ADMIN_ACCOUNT, ADMIN_PASSWORD)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert from_rpc_error(caught.value).reason == "login_rate_limited"


async def test_failed_logins_from_one_ip_lock_that_ip(identity: Identity) -> None:
    _, channel = identity
    stub = identity_pb2_grpc.IdentityServiceStub(channel)
    for i in range(6):
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await _login(stub, f"nobody{i}@mesh.test", "whatever-1")
        assert failed.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _login(stub, ADMIN_ACCOUNT, ADMIN_PASSWORD)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    other_ip = identity_pb2.LoginRequest(
        account=ADMIN_ACCOUNT, password_sha256=client_password_digest(ADMIN_PASSWORD), client_ip="10.1.1.1"
    )
    assert (await stub.Login(other_ip)).token


async def test_users_keys_and_tenant_scoping(identity: Identity) -> None:
    _, channel = identity
    stub = identity_pb2_grpc.IdentityServiceStub(channel)
    admin = (await _verifier(stub)).verify((await _login(stub, ADMIN_ACCOUNT, ADMIN_PASSWORD)).token)
    alice = await stub.CreateUser(
        identity_pb2.CreateUserRequest(account="alice@acme.test", password="alice-pass-1", company="Acme"),
        metadata=_md(admin),
    )
    bob = await stub.CreateUser(
        identity_pb2.CreateUserRequest(account="13800000000", password="bob-pass-12", company="Acme"),
        metadata=_md(admin),
    )
    eve = await stub.CreateUser(
        identity_pb2.CreateUserRequest(account="eve@evil.test", password="eve-pass-12", company="Evil"),
        metadata=_md(admin),
    )
    assert alice.user_company_id == bob.user_company_id != eve.user_company_id
    assert bob.user_phone == "13800000000" and bob.user_email == ""

    with pytest.raises(grpc.aio.AioRpcError) as duplicate:
        await stub.CreateUser(
            identity_pb2.CreateUserRequest(account="ALICE@acme.test", password="x-pass-123", company="Acme"),
            metadata=_md(admin),
        )
    assert duplicate.value.code() == grpc.StatusCode.ALREADY_EXISTS

    company_key = await stub.CreateApiKey(
        identity_pb2.CreateApiKeyRequest(user_id=alice.user_id, kind="company"), metadata=_md(admin)
    )
    user_key = await stub.CreateApiKey(
        identity_pb2.CreateApiKeyRequest(user_id=bob.user_id, kind="user"), metadata=_md(admin)
    )
    assert company_key.key.startswith("cpn-") and user_key.key.startswith("user-")
    cpn = await stub.ResolveApiKey(identity_pb2.ResolveApiKeyRequest(key=company_key.key))
    usr = await stub.ResolveApiKey(identity_pb2.ResolveApiKeyRequest(key=user_key.key))
    assert (cpn.kind, cpn.user_id) == ("company_key", alice.user_id)
    assert (usr.kind, usr.user_id) == ("user_key", bob.user_id)

    as_company = Principal(user_id=cpn.user_id, company_id=cpn.company_id, kind="company_key")
    as_bob = Principal(user_id=usr.user_id, company_id=usr.company_id, kind="user_key")
    seen = await stub.GetUser(identity_pb2.GetUserRequest(user_id=bob.user_id), metadata=_md(as_company))
    assert seen.user_account == "13800000000"
    for who, target in ((as_bob, alice.user_id), (as_company, eve.user_id)):
        with pytest.raises(grpc.aio.AioRpcError) as hidden:
            await stub.GetUser(identity_pb2.GetUserRequest(user_id=target), metadata=_md(who))
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND

    with pytest.raises(grpc.aio.AioRpcError) as not_admin:
        await stub.CreateApiKey(
            identity_pb2.CreateApiKeyRequest(user_id=bob.user_id, kind="company"), metadata=_md(as_bob)
        )
    assert not_admin.value.code() == grpc.StatusCode.PERMISSION_DENIED

    await stub.RevokeApiKey(identity_pb2.RevokeApiKeyRequest(key_id=user_key.key_id), metadata=_md(admin))
    with pytest.raises(grpc.aio.AioRpcError) as revoked:
        await stub.ResolveApiKey(identity_pb2.ResolveApiKeyRequest(key=user_key.key))
    assert revoked.value.code() == grpc.StatusCode.NOT_FOUND


async def test_profile_update_changes_only_unlocked_fields(identity: Identity) -> None:
    _, channel = identity
    stub = identity_pb2_grpc.IdentityServiceStub(channel)
    admin = (await _verifier(stub)).verify((await _login(stub, ADMIN_ACCOUNT, ADMIN_PASSWORD)).token)
    fields = struct_pb2.Struct()
    fields.update({"user_nick_name": "Root", "user_age": 40})
    updated = await stub.UpdateUser(identity_pb2.UpdateUserRequest(fields=fields), metadata=_md(admin))
    assert (updated.user_nick_name, updated.user_age) == ("Root", 40)

    locked = struct_pb2.Struct()
    locked.update({"user_nick_name": "Hacker", "user_company_id": 99})
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.UpdateUser(identity_pb2.UpdateUserRequest(fields=locked), metadata=_md(admin))
    error = from_rpc_error(caught.value)
    assert (error.reason, error.field) == ("field_locked", "user_company_id")
    again = await stub.GetUser(identity_pb2.GetUserRequest(), metadata=_md(admin))
    assert again.user_nick_name == "Root"


async def test_custom_token_bounds(identity: Identity) -> None:
    import time

    _, channel = identity
    stub = identity_pb2_grpc.IdentityServiceStub(channel)
    admin = (await _verifier(stub)).verify((await _login(stub, ADMIN_ACCOUNT, ADMIN_PASSWORD)).token)
    target = int(time.time()) + 3600
    reply = await stub.IssueToken(identity_pb2.IssueTokenRequest(expire_at_unix=target), metadata=_md(admin))
    assert reply.expire_at_unix == target
    assert (await _verifier(stub)).verify(reply.token).user_id == admin.user_id
    for bad in (int(time.time()) - 10, int(time.time()) + 400 * 86400):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.IssueToken(identity_pb2.IssueTokenRequest(expire_at_unix=bad), metadata=_md(admin))
        assert from_rpc_error(caught.value).field == "expire_time"


async def test_calls_without_principal_are_unauthenticated(identity: Identity) -> None:
    _, channel = identity
    stub = identity_pb2_grpc.IdentityServiceStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetUser(identity_pb2.GetUserRequest())
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
