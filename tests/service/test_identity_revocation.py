"""Identity ends access: user cutoffs, key-bound tokens, the revocation list and its NATS events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
import orjson
import pytest
import pytest_asyncio
from meshconsole.common.v1 import common_pb2
from meshconsole.identity.v1 import identity_pb2, identity_pb2_grpc
from nats.aio.client import Client

from services.identity.app import IdentityProcess
from services.identity.credentials import client_password_digest
from services.kit.context import Principal
from services.kit.errors import from_rpc_error
from services.kit.jwt_tokens import TokenVerifier, VerifiedToken
from services.kit.testing.credentials import credential_metadata
from tests.service.conftest import ADMIN_ACCOUNT, ADMIN_PASSWORD

Identity = tuple[IdentityProcess, grpc.aio.Channel]
Events = asyncio.Queue[tuple[str, dict[str, Any]]]


def _md(principal: Principal) -> tuple[tuple[str, str], ...]:
    return (("x-request-id", "req-revocation"), *credential_metadata(principal))


@pytest_asyncio.fixture(loop_scope="session")
async def events(nats_client: Client) -> AsyncIterator[Events]:
    """Every revocation event identity publishes, as (subject, payload)."""
    queue: Events = asyncio.Queue()

    async def collect(msg: Any) -> None:
        await queue.put((msg.subject, orjson.loads(msg.data)))

    subs = [
        await nats_client.subscribe("mesh.events.apikeys.revoked", cb=collect),
        await nats_client.subscribe("mesh.events.users.tokens_revoked", cb=collect),
    ]
    yield queue
    for sub in subs:
        await sub.unsubscribe()


async def _next_event(queue: Events, subject: str) -> dict[str, Any]:
    async with asyncio.timeout(5):
        while True:
            got, payload = await queue.get()
            if got == subject:
                return payload


class Session:
    """A stub, a verifier and the admin principal."""

    def __init__(self, stub: identity_pb2_grpc.IdentityServiceStub, verifier: TokenVerifier, admin: Principal):
        self.stub, self.verifier, self.admin = stub, verifier, admin

    async def login(self, account: str, password: str) -> VerifiedToken:
        reply = await self.stub.Login(
            identity_pb2.LoginRequest(account=account, password_sha256=client_password_digest(password))
        )
        return self.verifier.verify_token(reply.token)

    async def user(self, account: str, password: str) -> identity_pb2.User:
        request = identity_pb2.CreateUserRequest(account=account, password=password, company="Revoke Co")
        return await self.stub.CreateUser(request, metadata=_md(self.admin))

    async def access(self, user_id: int, **fields: object) -> identity_pb2.UserAccess:
        request = identity_pb2.SetUserAccessRequest(user_id=user_id, **fields)
        return await self.stub.SetUserAccess(request, metadata=_md(self.admin))

    async def revocations(self, since: int = 0) -> identity_pb2.Revocations:
        return await self.stub.ListRevocations(identity_pb2.ListRevocationsRequest(since_unix=since))


async def _session(identity: Identity) -> Session:
    stub = identity_pb2_grpc.IdentityServiceStub(identity[1])
    keys = await stub.GetSigningKeys(common_pb2.Empty())
    verifier = TokenVerifier({k.kid: k.public_key_pem for k in keys.keys})
    session = Session(stub, verifier, Principal(user_id=0, company_id=0))
    session.admin = (await session.login(ADMIN_ACCOUNT, ADMIN_PASSWORD)).principal
    return session


async def _refused(call: Any) -> tuple[grpc.StatusCode, str, str | None]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    error = from_rpc_error(caught.value)
    return caught.value.code(), error.reason, error.field


async def test_disabling_a_user_cuts_their_tokens_lists_and_announces_it(identity: Identity, events: Events) -> None:
    s = await _session(identity)
    user = await s.user("dora@revoke.test", "dora-pass-1")
    before = await s.login("dora@revoke.test", "dora-pass-1")

    disabled = await s.access(user.user_id, status=0)
    assert disabled.status == 0 and disabled.tokens_not_before_unix > before.issued_at
    event = await _next_event(events, "mesh.events.users.tokens_revoked")
    assert event == {"user_id": user.user_id, "not_before": disabled.tokens_not_before_unix}
    listed = await s.revocations()
    assert (user.user_id, disabled.tokens_not_before_unix) in {(c.user_id, c.not_before_unix) for c in listed.users}
    assert abs(listed.server_time_unix - time.time()) < 5 and listed.horizon_unix < listed.server_time_unix
    assert (await _refused(s.login("dora@revoke.test", "dora-pass-1")))[:2] == (
        grpc.StatusCode.UNAUTHENTICATED,
        "login_failed",
    )
    # A disabled user's surviving token cannot mint a new one either.
    mint = s.stub.IssueToken(
        identity_pb2.IssueTokenRequest(expire_at_unix=int(time.time()) + 600), metadata=_md(before.principal)
    )
    assert (await _refused(mint))[:2] == (grpc.StatusCode.UNAUTHENTICATED, "user_disabled")

    enabled = await s.access(user.user_id, status=1)
    assert (enabled.status, enabled.tokens_not_before_unix) == (1, disabled.tokens_not_before_unix)
    after = await s.login("dora@revoke.test", "dora-pass-1")
    assert after.issued_at >= disabled.tokens_not_before_unix


async def test_a_new_password_cuts_old_tokens_and_not_the_next_ones(identity: Identity, events: Events) -> None:
    s = await _session(identity)
    user = await s.user("paul@revoke.test", "paul-pass-1")
    old = await s.login("paul@revoke.test", "paul-pass-1")
    changed = await s.access(user.user_id, password="paul-pass-2")
    assert changed.tokens_not_before_unix > old.issued_at
    assert (await _next_event(events, "mesh.events.users.tokens_revoked"))["user_id"] == user.user_id
    assert (await _refused(s.login("paul@revoke.test", "paul-pass-1")))[1] == "login_failed"
    # Issued in the same second as the change or later, the new token is on the right side of the cutoff.
    fresh = await s.login("paul@revoke.test", "paul-pass-2")
    assert fresh.issued_at >= changed.tokens_not_before_unix
    # Ending sessions alone moves the cutoff forward without touching the password.
    ended = await s.access(user.user_id, end_sessions=True)
    assert ended.tokens_not_before_unix > fresh.issued_at
    assert (await s.login("paul@revoke.test", "paul-pass-2")).issued_at >= ended.tokens_not_before_unix


async def test_tokens_minted_from_a_key_carry_it_and_need_it(identity: Identity, events: Events) -> None:
    s = await _session(identity)
    kim = await s.user("kim@revoke.test", "kim-pass-12")
    other = await s.user("olaf@revoke.test", "olaf-pass-1")
    key = await s.stub.CreateApiKey(
        identity_pb2.CreateApiKeyRequest(user_id=kim.user_id, kind="user"), metadata=_md(s.admin)
    )
    foreign = await s.stub.CreateApiKey(
        identity_pb2.CreateApiKeyRequest(user_id=other.user_id, kind="user"), metadata=_md(s.admin)
    )
    as_key = Principal(user_id=kim.user_id, company_id=kim.user_company_id, kind="user_key")
    expire = int(time.time()) + 3600

    def mint(key_id: str) -> Any:
        request = identity_pb2.IssueTokenRequest(expire_at_unix=expire, api_key_id=key_id)
        return s.stub.IssueToken(request, metadata=_md(as_key))

    assert (await _refused(mint("")))[::2] == (grpc.StatusCode.INVALID_ARGUMENT, "api_key_id")
    assert (await _refused(mint(foreign.key_id)))[:2] == (grpc.StatusCode.UNAUTHENTICATED, "invalid_api_key")
    minted = s.verifier.verify_token((await mint(key.key_id)).token)
    assert (minted.api_key_id, minted.principal.user_id) == (key.key_id, kim.user_id)
    # A login token carries no key.
    assert (await s.login("kim@revoke.test", "kim-pass-12")).api_key_id == ""

    await s.stub.RevokeApiKey(identity_pb2.RevokeApiKeyRequest(key_id=key.key_id), metadata=_md(s.admin))
    event = await _next_event(events, "mesh.events.apikeys.revoked")
    assert event["key_id"] == key.key_id and isinstance(event["key_hash"], str)
    assert abs(int(event["revoked_at"]) - time.time()) < 5
    listed = {k.key_id: k.revoked_at_unix for k in (await s.revocations()).keys}
    assert listed[key.key_id] == event["revoked_at"] and foreign.key_id not in listed
    # An incremental read leaves out what changed before since_unix.
    assert key.key_id not in {k.key_id for k in (await s.revocations(int(time.time()) + 60)).keys}
    assert (await _refused(mint(key.key_id)))[:2] == (grpc.StatusCode.UNAUTHENTICATED, "invalid_api_key")


async def test_access_changes_are_admin_only_and_checked(identity: Identity) -> None:
    s = await _session(identity)
    user = await s.user("vera@revoke.test", "vera-pass-1")
    as_user = (await s.login("vera@revoke.test", "vera-pass-1")).principal
    denied = s.stub.SetUserAccess(
        identity_pb2.SetUserAccessRequest(user_id=user.user_id, status=0), metadata=_md(as_user)
    )
    assert (await _refused(denied))[0] == grpc.StatusCode.PERMISSION_DENIED
    assert (await _refused(s.access(user.user_id)))[::2] == (grpc.StatusCode.INVALID_ARGUMENT, "status")
    assert (await _refused(s.access(user.user_id, password="short")))[2] == "password"
    assert (await _refused(s.access(user.user_id, status=7)))[2] == "status"
    assert (await _refused(s.access(999_999, status=0)))[0] == grpc.StatusCode.NOT_FOUND
    assert (await _refused(s.access(s.admin.user_id, status=0)))[1] == "cannot_disable_self"
    # Nothing was cut by the refused calls.
    assert user.user_id not in {c.user_id for c in (await s.revocations()).users}


async def test_a_login_lockout_says_when_to_retry(identity: Identity) -> None:
    s = await _session(identity)
    await s.user("lock@revoke.test", "lock-pass-1")
    for _ in range(3):
        await _refused(s.login("lock@revoke.test", "wrong-pass-1"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await s.login("lock@revoke.test", "lock-pass-1")
    error = from_rpc_error(caught.value)
    assert (caught.value.code(), error.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "login_rate_limited")
    # The conftest window is the default 900 s; the hint is when the oldest failure leaves it.
    assert 890 <= int(error.metadata["retry_after_s"]) <= 900
