"""The gateway's revocation list: what it refuses, how reads merge, and that old entries are pruned."""

from __future__ import annotations

import time

from meshconsole.identity.v1 import identity_pb2

from gateway.revocation import SYNC_OVERLAP_S, RevocationList
from services.kit.context import Principal
from services.kit.jwt_tokens import SigningKeyPair, TokenVerifier, issue_token


def _reply(now: int, horizon: int, keys: dict[str, int], users: dict[int, int]) -> identity_pb2.Revocations:
    return identity_pb2.Revocations(
        keys=[identity_pb2.RevokedApiKey(key_id=k, revoked_at_unix=at) for k, at in keys.items()],
        users=[identity_pb2.TokenCutoff(user_id=u, not_before_unix=nb) for u, nb in users.items()],
        server_time_unix=now,
        horizon_unix=horizon,
    )


def test_refuses_revoked_keys_and_tokens_issued_before_the_cutoff() -> None:
    revocations = RevocationList()
    revocations.revoke_key("k1", 100)
    revocations.cut_user(7, 200)
    assert revocations.refuses(user_id=1, issued_at=50, api_key_id="k1")
    assert not revocations.refuses(user_id=1, issued_at=50, api_key_id="k2")
    assert not revocations.refuses(user_id=1, issued_at=50, api_key_id="")
    assert revocations.refuses(user_id=7, issued_at=199, api_key_id="")
    assert not revocations.refuses(user_id=7, issued_at=200, api_key_id="")
    # A cutoff never moves back (an older event arriving late changes nothing).
    revocations.cut_user(7, 150)
    assert revocations.refuses(user_id=7, issued_at=199, api_key_id="")


def test_reads_merge_and_the_next_read_starts_a_little_before_the_last() -> None:
    revocations = RevocationList()
    assert revocations.since() == 0 and not revocations.loaded
    revocations.cut_user(3, 900)  # from an event, before the first read
    revocations.apply(_reply(10_000, 1_000, {"k1": 5_000}, {7: 6_000}))
    assert revocations.loaded and revocations.since() == 10_000 - SYNC_OVERLAP_S
    assert revocations.keys == {"k1": 5_000} and revocations.users == {3: 900, 7: 6_000}
    revocations.apply(_reply(10_010, 1_000, {"k2": 10_005}, {}))
    assert set(revocations.keys) == {"k1", "k2"}


def test_entries_older_than_the_horizon_are_pruned() -> None:
    revocations = RevocationList()
    revocations.apply(_reply(10_000, 5_000, {"old": 4_000, "new": 6_000}, {1: 4_999, 2: 5_000}))
    assert set(revocations.keys) == {"new"} and set(revocations.users) == {2}


def test_a_token_names_the_key_it_was_minted_from() -> None:
    pair = SigningKeyPair.generate()
    verifier = TokenVerifier({pair.kid: pair.public_pem()})
    alice = Principal(user_id=5, company_id=2, roles=("user",))
    now = int(time.time())
    minted = issue_token(pair, principal=alice, expires_at=now + 60, token_kind="custom", api_key_id="key-1", now=now)
    verified = verifier.verify_token(minted)
    assert (verified.principal, verified.issued_at, verified.api_key_id) == (alice, now, "key-1")
    plain = issue_token(pair, principal=alice, expires_at=now + 60, token_kind="login")
    assert verifier.verify_token(plain).api_key_id == ""
