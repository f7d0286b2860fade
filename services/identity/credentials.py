"""Password hashing (argon2id over the client's sha256 hex) and API key generation and hashing."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.kit.errors import InvalidArgument

API_KEY_PREFIXES = {"user": "user-", "company": "cpn-"}
_SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")
_hasher = PasswordHasher()  # argon2id with the library's current recommended cost
# Verified against when the account does not exist, so a miss costs as much as a wrong password.
_DUMMY_HASH = _hasher.hash("0" * 64)


def client_password_digest(raw_password: str) -> str:
    """What a NextConsole client sends: sha256(raw.strip()) as lowercase hex."""
    return hashlib.sha256(raw_password.strip().encode("utf-8")).hexdigest()


def require_client_digest(value: str, *, field: str = "user_password") -> str:
    """Check the value is a sha256 hex digest and normalise it to lowercase."""
    if not _SHA256_HEX.match(value or ""):
        raise InvalidArgument(f"{field} must be the sha256 hex digest of the password", field=field)
    return value.lower()


MIN_PASSWORD_CHARS = 8


def password_digest(*, password: str, password_sha256: str, required: bool) -> str | None:
    """The digest login compares with, from either form the admin API takes; None when neither was sent.

    `password_sha256` is exactly what login takes (sha256(raw.strip()) hex); `password` is the raw password,
    hashed here the same way. Only a raw password's length can be checked.
    """
    if password and password_sha256:
        raise InvalidArgument("send password or password_sha256, not both", field="password_sha256")
    if password_sha256:
        return require_client_digest(password_sha256, field="password_sha256")
    if password:
        if len(password.strip()) < MIN_PASSWORD_CHARS:
            raise InvalidArgument(f"password must be at least {MIN_PASSWORD_CHARS} characters", field="password")
        return client_password_digest(password)
    if required:
        raise InvalidArgument("password or password_sha256 is required", field="password")
    return None


def hash_password(client_digest: str) -> str:
    """argon2id of the client's digest."""
    return _hasher.hash(client_digest.lower())


def verify_password(stored_hash: str | None, client_digest: str) -> bool:
    """True when the digest matches; a missing user still pays for one verification."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, client_digest.lower()) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the stored hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)


def new_api_key(kind: str) -> tuple[str, str, str]:
    """(key_id, full key, sha256 of the key); the full key is shown once and never stored."""
    if kind not in API_KEY_PREFIXES:
        raise InvalidArgument("kind must be 'user' or 'company'", field="kind")
    key = API_KEY_PREFIXES[kind] + secrets.token_urlsafe(32)
    return uuid.uuid4().hex, key, hash_api_key(key)


def hash_api_key(key: str) -> str:
    """Keys are 256-bit random, so a plain sha256 is a safe lookup hash."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def api_key_kind(key: str) -> str | None:
    """'user' or 'company' from the key's prefix, None when it is not an API key."""
    for kind, prefix in API_KEY_PREFIXES.items():
        if key.startswith(prefix):
            return kind
    return None
