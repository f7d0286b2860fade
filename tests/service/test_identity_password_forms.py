"""One password rule: the admin API takes what login takes (sha256 hex) or the raw password, never both."""

from __future__ import annotations

import grpc
import pytest
from meshconsole.identity.v1 import identity_pb2, identity_pb2_grpc

from services.identity.credentials import client_password_digest
from services.kit.errors import from_rpc_error
from tests.service.conftest import ADMIN_ACCOUNT, ADMIN_PASSWORD
from tests.service.test_identity_servicer import Identity, _login, _md, _verifier


async def _refused(call: object, field: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    error = from_rpc_error(caught.value)
    assert (caught.value.code(), error.field) == (grpc.StatusCode.INVALID_ARGUMENT, field), error


async def test_both_forms_create_users_that_log_in_the_same_way(identity: Identity) -> None:
    _, channel = identity
    stub = identity_pb2_grpc.IdentityServiceStub(channel)
    admin = _md((await _verifier(stub)).verify((await _login(stub, ADMIN_ACCOUNT, ADMIN_PASSWORD)).token))
    digest = client_password_digest("  hashed form 1  ")
    hashed = await stub.CreateUser(
        identity_pb2.CreateUserRequest(account="hashed@forms.test", password_sha256=digest.upper(), company="Forms"),
        metadata=admin,
    )
    await stub.CreateUser(
        identity_pb2.CreateUserRequest(account="raw@forms.test", password="raw form 12", company="Forms"),
        metadata=admin,
    )
    assert (await _login(stub, "hashed@forms.test", "hashed form 1")).user.user_id == hashed.user_id
    assert (await _login(stub, "raw@forms.test", " raw form 12 ")).token

    both = identity_pb2.CreateUserRequest(
        account="both@forms.test", password="raw form 12", password_sha256=digest, company="Forms"
    )
    await _refused(stub.CreateUser(both, metadata=admin), "password_sha256")
    neither = identity_pb2.CreateUserRequest(account="none@forms.test", company="Forms")
    await _refused(stub.CreateUser(neither, metadata=admin), "password")
    not_hex = identity_pb2.CreateUserRequest(account="nothex@forms.test", password_sha256="x" * 64, company="Forms")
    await _refused(stub.CreateUser(not_hex, metadata=admin), "password_sha256")

    reset = identity_pb2.SetUserAccessRequest(
        user_id=hashed.user_id, password_sha256=client_password_digest("a new one 34")
    )
    await stub.SetUserAccess(reset, metadata=admin)
    assert (await _login(stub, "hashed@forms.test", "a new one 34")).token
    with pytest.raises(grpc.aio.AioRpcError):
        await _login(stub, "hashed@forms.test", "hashed form 1")
