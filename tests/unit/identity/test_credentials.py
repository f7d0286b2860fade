"""Password hashing and API key hashing in identity."""

from __future__ import annotations

import hashlib

import pytest

from services.identity import credentials
from services.kit.errors import InvalidArgument


def test_client_digest_matches_the_seed_recipe() -> None:
    assert credentials.client_password_digest("  secret \n") == hashlib.sha256(b"secret").hexdigest()


def test_password_hash_is_argon2id_and_verifies_only_the_right_digest() -> None:
    digest = credentials.client_password_digest("correct horse")
    stored = credentials.hash_password(digest)
    assert stored.startswith("$argon2id$")
    assert digest not in stored
    assert credentials.verify_password(stored, digest)
    assert credentials.verify_password(stored, digest.upper())
    assert not credentials.verify_password(stored, credentials.client_password_digest("wrong"))


def test_missing_user_never_verifies() -> None:
    assert not credentials.verify_password(None, credentials.client_password_digest("0" * 64))
    assert not credentials.verify_password("not-a-hash", "a" * 64)


def test_require_client_digest_names_the_field() -> None:
    with pytest.raises(InvalidArgument) as caught:
        credentials.require_client_digest("plaintext-password")
    assert caught.value.field == "user_password"
    assert credentials.require_client_digest("A" * 64) == "a" * 64


@pytest.mark.parametrize(("kind", "prefix"), [("user", "user-"), ("company", "cpn-")])
def test_api_keys_are_prefixed_random_and_stored_as_hashes(kind: str, prefix: str) -> None:
    key_id, key, key_hash = credentials.new_api_key(kind)
    _, other_key, _ = credentials.new_api_key(kind)
    assert key.startswith(prefix) and len(key) > 40
    assert key != other_key
    assert key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in key_hash
    assert credentials.api_key_kind(key) == kind
    assert len(key_id) == 32


def test_unknown_key_kind_is_refused() -> None:
    with pytest.raises(InvalidArgument) as caught:
        credentials.new_api_key("team")
    assert caught.value.field == "kind"
    assert credentials.api_key_kind("sk-abc") is None
