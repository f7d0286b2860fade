"""Ed25519 JWTs: identity signs with its private key; the gateway verifies locally with the public keys."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.kit.context import Principal
from services.kit.errors import Unauthenticated

ISSUER = "meshconsole"
ALGORITHM = "EdDSA"
# The claim naming the API key a token was minted from; the token is refused once that key is revoked.
API_KEY_CLAIM = "akid"


@dataclass(frozen=True)
class SigningKeyPair:
    """A private key with its key id; the public half is published to verifiers."""

    kid: str
    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKeyPair:
        return cls(kid=uuid.uuid4().hex[:16], private_key=Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, kid: str, pem: str) -> SigningKeyPair:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("signing key must be Ed25519")
        return cls(kid=kid, private_key=key)

    def private_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )


def issue_token(
    key: SigningKeyPair,
    *,
    principal: Principal,
    expires_at: int,
    token_kind: str,
    now: int | None = None,
    api_key_id: str | None = None,
) -> str:
    """A signed access token for the principal, valid until expires_at (unix seconds).

    api_key_id names the API key the token was minted from, so the token can die with that key.
    """
    issued_at = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": str(principal.user_id),
        "cid": principal.company_id,
        "roles": list(principal.roles),
        "tk": token_kind,
        "iat": issued_at,
        "exp": int(expires_at),
        "jti": uuid.uuid4().hex,
    }
    if api_key_id:
        claims[API_KEY_CLAIM] = api_key_id
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """A token whose signature and expiry checked out: who it names, when it was issued, and its API key if any."""

    principal: Principal
    issued_at: int
    api_key_id: str = ""


class TokenVerifier:
    """Verifies tokens against a set of public keys by kid; no network call per token."""

    def __init__(self, public_keys: dict[str, str] | None = None, *, leeway_s: int = 5) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._leeway = leeway_s
        for kid, pem in (public_keys or {}).items():
            self.add_key(kid, pem)

    def add_key(self, kid: str, public_pem: str) -> None:
        key = serialization.load_pem_public_key(public_pem.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("verification key must be Ed25519")
        self._keys[kid] = key

    def knows(self, kid: str) -> bool:
        return kid in self._keys

    @staticmethod
    def key_id(token: str) -> str | None:
        """The kid from the token header, or None when the header is unreadable."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None
        kid = header.get("kid")
        return kid if isinstance(kid, str) else None

    def verify(self, token: str) -> Principal:
        """The principal in a valid token; Unauthenticated for expired, forged or malformed tokens."""
        return self.verify_token(token).principal

    def verify_token(self, token: str) -> VerifiedToken:
        """The verified token's principal, iat and API key id; Unauthenticated for expired, forged or malformed ones."""
        kid = self.key_id(token)
        key = self._keys.get(kid or "")
        if key is None:
            raise Unauthenticated("token signed by an unknown key", reason="invalid_token")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token has expired", reason="token_expired") from None
        except jwt.PyJWTError:
            raise Unauthenticated("token is invalid", reason="invalid_token") from None
        try:
            principal = Principal(
                user_id=int(claims["sub"]),
                company_id=int(claims.get("cid") or 0),
                roles=tuple(str(r) for r in claims.get("roles") or ()),
                kind="token",
            )
            api_key_id = claims.get(API_KEY_CLAIM) or ""
            if not isinstance(api_key_id, str):
                raise TypeError("akid must be a string")
            return VerifiedToken(principal=principal, issued_at=int(claims["iat"]), api_key_id=api_key_id)
        except (TypeError, ValueError):
            raise Unauthenticated("token is invalid", reason="invalid_token") from None
