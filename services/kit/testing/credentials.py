"""Mesh credentials for tests that call services directly: fixed test keys, and metadata signed with them."""

from __future__ import annotations

from services.kit.context import Principal
from services.kit.mesh_tokens import (
    CREDENTIAL_KEY,
    GATEWAY,
    CredentialSigner,
    CredentialVerifier,
    MeshKeys,
    MeshSecurity,
    encode_principal,
    installed,
)
from services.kit.settings import SERVICE_NAMES

TEST_SECRET = "meshconsole-tests-only-secret"


def security_for_tests(secret: str = TEST_SECRET) -> MeshSecurity:
    """Keys derived from `secret`: signs as the gateway, verifies gateway and service credentials."""
    keys = MeshKeys.derive(secret)
    assert keys.gateway_private is not None and keys.gateway_public is not None and keys.service_private is not None
    verifier = CredentialVerifier(gateway_public=keys.gateway_public, service_public=keys.service_private.public_key())
    return MeshSecurity(CredentialSigner(keys.gateway_private, kind=GATEWAY, subject=GATEWAY), verifier)


def credential_metadata(
    principal: Principal | None = None, *, audience: tuple[str, ...] = SERVICE_NAMES
) -> tuple[tuple[str, str], ...]:
    """gRPC metadata with a gateway credential for `principal` (none: an anonymous call) that any service accepts."""
    token = installed().signer.sign(encode_principal(principal), audience)
    return ((CREDENTIAL_KEY, token),)
