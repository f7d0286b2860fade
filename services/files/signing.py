"""HMAC-signed, expiring download tokens for the local backend: each grants one object until it expires."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from services.kit.errors import PermissionDenied

_PURPOSE = b"meshconsole:files:download-url:v1"


@dataclass(frozen=True)
class Grant:
    """What a valid token allows."""

    object_id: int
    expires_at: int
    attachment: bool


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class UrlSigner:
    """Signs "<object id>.<expiry>.<disposition>" with a key derived from the platform secret."""

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("a secret key is required")
        # Purpose-separated: this key signs download URLs and nothing else.
        self._key = hmac.new(secret_key.encode(), _PURPOSE, hashlib.sha256).digest()

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def sign(self, *, object_id: int, expires_at: int, attachment: bool) -> str:
        """A URL-safe token: the payload in clear, then its MAC."""
        payload = f"{object_id}.{expires_at}.{1 if attachment else 0}"
        return f"{payload}.{self._mac(payload)}"

    def verify(self, token: str, *, now: float | None = None) -> Grant:
        """The grant of a genuine, unexpired token; PERMISSION_DENIED otherwise."""
        parts = token.split(".")
        if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]) or parts[2] not in ("0", "1"):
            raise PermissionDenied("download link is invalid", reason="bad_signature")
        payload = ".".join(parts[:3])
        if not hmac.compare_digest(self._mac(payload), parts[3]):
            raise PermissionDenied("download link is invalid", reason="bad_signature")
        grant = Grant(object_id=int(parts[0]), expires_at=int(parts[1]), attachment=parts[2] == "1")
        if grant.expires_at <= (time.time() if now is None else now):
            raise PermissionDenied("download link has expired", reason="url_expired")
        return grant
