"""Symmetric encryption of secrets at rest (Fernet, keyed from MESH_SECRET_KEY) and masking for display."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from services.kit.errors import FailedPrecondition


class SecretBox:
    """Encrypts short secrets (API keys, signing keys) with a key derived from the platform secret."""

    def __init__(self, secret_key: str, *, purpose: str) -> None:
        if not secret_key:
            raise ValueError("a secret key is required")
        digest = hashlib.sha256(f"meshconsole:{purpose}:{secret_key}".encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def encrypt(self, plaintext: str) -> str:
        """Ciphertext as ASCII text, safe to store in a string column."""
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """The plaintext; a wrong key or tampered value is a configuration problem, not bad input."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except InvalidToken:
            raise FailedPrecondition(
                "stored secret cannot be decrypted; was MESH_SECRET_KEY changed?", reason="secret_unreadable"
            ) from None


def mask_secret(value: str, *, keep: int = 4) -> str:
    """Show only the ends of a secret: 'sk-a…wxyz'."""
    if not value:
        return ""
    if len(value) <= keep * 2:
        return "*" * len(value)
    return f"{value[:keep]}{'*' * 6}{value[-keep:]}"
