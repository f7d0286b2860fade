"""Token issue, verification and expiry."""

from __future__ import annotations

import time

import jwt
import pytest

from services.kit.context import Principal
from services.kit.errors import Unauthenticated
from services.kit.jwt_tokens import SigningKeyPair, TokenVerifier, issue_token

ALICE = Principal(user_id=7, company_id=3, roles=("user",))


def _verifier(*pairs: SigningKeyPair) -> TokenVerifier:
    return TokenVerifier({p.kid: p.public_pem() for p in pairs})


def test_round_trip_carries_the_principal() -> None:
    pair = SigningKeyPair.generate()
    token = issue_token(pair, principal=ALICE, expires_at=int(time.time()) + 60, token_kind="login")
    assert _verifier(pair).verify(token) == ALICE


def test_expired_token_is_refused_with_its_own_reason() -> None:
    pair = SigningKeyPair.generate()
    past = int(time.time()) - 3600
    token = issue_token(pair, principal=ALICE, expires_at=past + 60, token_kind="login", now=past)
    with pytest.raises(Unauthenticated) as caught:
        _verifier(pair).verify(token)
    assert caught.value.reason == "token_expired"


def test_token_signed_by_another_key_with_a_known_kid_is_forged() -> None:
    real, attacker = SigningKeyPair.generate(), SigningKeyPair.generate()
    forged_pair = SigningKeyPair(kid=real.kid, private_key=attacker.private_key)
    token = issue_token(forged_pair, principal=ALICE, expires_at=int(time.time()) + 60, token_kind="login")
    with pytest.raises(Unauthenticated) as caught:
        _verifier(real).verify(token)
    assert caught.value.reason == "invalid_token"


def test_hs256_token_with_the_public_key_as_secret_is_refused() -> None:
    pair = SigningKeyPair.generate()
    claims = {"iss": "meshconsole", "sub": "1", "iat": int(time.time()), "exp": int(time.time()) + 60}
    token = jwt.encode(claims, "guess", algorithm="HS256", headers={"kid": pair.kid})
    with pytest.raises(Unauthenticated):
        _verifier(pair).verify(token)


def test_tampered_claims_and_garbage_are_refused() -> None:
    pair = SigningKeyPair.generate()
    token = issue_token(pair, principal=ALICE, expires_at=int(time.time()) + 60, token_kind="login")
    header, payload, signature = token.split(".")
    admin_payload = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b'"user"', b'"admin"')
    ).decode()
    for bad in (f"{header}.{admin_payload}.{signature}", "not-a-token", ""):
        with pytest.raises(Unauthenticated):
            _verifier(pair).verify(bad)


def test_unknown_kid_is_refused() -> None:
    token = issue_token(SigningKeyPair.generate(), principal=ALICE, expires_at=int(time.time()) + 60, token_kind="x")
    with pytest.raises(Unauthenticated):
        _verifier(SigningKeyPair.generate()).verify(token)


def test_private_key_survives_pem_round_trip() -> None:
    pair = SigningKeyPair.generate()
    again = SigningKeyPair.from_pem(pair.kid, pair.private_pem())
    token = issue_token(again, principal=ALICE, expires_at=int(time.time()) + 60, token_kind="login")
    assert _verifier(pair).verify(token).user_id == 7
