"""The mesh credential: signing, verification, audiences, the service-call policy, forwarding and key settings."""

from __future__ import annotations

import time
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from services.kit import mesh_tokens as mt
from services.kit.context import Principal
from services.kit.errors import Unauthenticated
from services.kit.settings import MeshSettings

ADMIN = Principal(user_id=1, company_id=7, roles=("admin",), kind="token")
ALICE = Principal(user_id=42, company_id=7, roles=("user",), kind="company_key")
KEYS = mt.MeshKeys.derive("unit-secret")
assert KEYS.gateway_private and KEYS.gateway_public and KEYS.service_private


def gateway_signer(keys: mt.MeshKeys = KEYS) -> mt.CredentialSigner:
    assert keys.gateway_private is not None
    return mt.CredentialSigner(keys.gateway_private, kind=mt.GATEWAY, subject=mt.GATEWAY)


def service_signer(name: str, keys: mt.MeshKeys = KEYS) -> mt.CredentialSigner:
    assert keys.service_private is not None
    return mt.CredentialSigner(keys.service_private, kind=mt.SERVICE, subject=name)


def verifier() -> mt.CredentialVerifier:
    assert KEYS.gateway_public is not None and KEYS.service_private is not None
    return mt.CredentialVerifier(gateway_public=KEYS.gateway_public, service_public=KEYS.service_private.public_key())


def refused(token: str, service: str) -> str:
    with pytest.raises(Unauthenticated) as error:
        verifier().verify(token, audiences=frozenset({service}))
    assert error.value.reason == "invalid_credential"
    return error.value.message


def pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_a_gateway_credential_reaches_its_service_and_the_peers_it_calls() -> None:
    assert set(mt.reach("chat")) == {"chat", "apps", "retrieval", "files", "voice"}
    assert mt.reach("identity") == ("identity",)
    token = gateway_signer().for_call(mt.encode_principal(ALICE), "chat")
    for service in ("chat", "retrieval", "files", "apps"):
        verified = verifier().verify(token, audiences=frozenset({service}))
        assert verified.principal == ALICE and verified.caller == "gateway" and verified.kind == mt.GATEWAY
    assert "another service" in refused(token, "identity")


def test_method_paths_name_their_service() -> None:
    assert mt.audience_of("/meshconsole.chat.v1.GenerationService/Generate") == "chat"
    assert mt.audience_of("meshconsole.identity.v1.IdentityService") == "identity"
    assert mt.audience_of("/test.Probe/Echo") == "test.Probe"
    assert mt.is_open("/grpc.health.v1.Health/Check") and not mt.is_open("/meshconsole.files.v1.FilesService/Get")


def test_forged_expired_and_tampered_credentials_are_refused() -> None:
    act = mt.encode_principal(ADMIN)
    stranger = mt.MeshKeys.derive("another-secret")
    assert "invalid" in refused(gateway_signer(stranger).sign(act, ["identity"]), "identity")
    old = time.time() - 2 * mt.TTL_S
    assert "expired" in refused(gateway_signer().sign(act, ["identity"], now=old), "identity")
    # The claims of a credential for identity under the signature of one for files.
    header, _, signature = gateway_signer().sign(act, ["files"]).split(".")
    _, payload, _ = gateway_signer().sign(act, ["identity"]).split(".")
    assert "invalid" in refused(f"{header}.{payload}.{signature}", "identity")
    claims = jwt.decode(f"{header}.{payload}.{signature}", options={"verify_signature": False})
    unsigned = jwt.encode({**claims, "iss": "meshconsole-gateway"}, None, algorithm="none", headers={"kid": "gateway"})
    assert refused(unsigned, "identity")
    assert "malformed" in refused("not-a-jwt", "identity")
    assert "unknown key" in refused(jwt.encode(claims, pem(Ed25519PrivateKey.generate()), "EdDSA"), "identity")


def test_a_service_credential_is_accepted_only_by_the_peers_its_service_calls() -> None:
    act = mt.encode_principal(Principal(user_id=42, company_id=7))
    worker = service_signer("retrieval").for_call(act, "files")
    verified = verifier().verify(worker, audiences=frozenset({"files"}))
    assert verified.caller == "retrieval" and verified.principal == Principal(user_id=42, company_id=7)
    assert "another service" in refused(worker, "chat")
    # No service calls identity: not even a service key can act as an admin there.
    assert "does not call identity" in refused(
        service_signer("files").sign(mt.encode_principal(ADMIN), ["identity"]), "identity"
    )
    assert "does not call" in refused(service_signer("files").sign("", ["chat"]), "chat")
    # The gateway never holds the service key: a gateway key cannot sign as a service.
    as_service = mt.CredentialSigner(KEYS.gateway_private, kind=mt.SERVICE, subject="retrieval")  # type: ignore[arg-type]
    assert "invalid" in refused(as_service.sign(act, ["files"]), "files")


def test_chat_reaches_files_on_its_own_key_once_the_callers_credential_ages() -> None:
    """An agent run outlives the gateway's 60 s credential; its read_file and web_fetch calls then go to files
    under chat's own service credential, acting for the same user."""
    act = mt.encode_principal(ALICE)
    security = mt.MeshSecurity(service_signer("chat"), verifier())
    aged = gateway_signer().sign(act, mt.reach("chat"), now=time.time() - mt.TTL_S + mt.FORWARD_ABOVE_S - 1)
    token = mt.credential_var.set(verifier().verify(aged, audiences=frozenset({"chat"})))
    try:
        renewed = security.credential_for(act, "files")
    finally:
        mt.credential_var.reset(token)
    assert renewed != aged
    verified = verifier().verify(renewed, audiences=frozenset({"files"}))
    assert verified.kind == mt.SERVICE and verified.caller == "chat" and verified.principal == ALICE
    # Chat's own key still opens nothing beyond the peers it calls.
    assert "does not call identity" in refused(service_signer("chat").sign(act, ["identity"]), "identity")


def test_an_anonymous_credential_names_no_principal() -> None:
    verified = verifier().verify(gateway_signer().for_call("", "identity"), audiences=frozenset({"identity"}))
    assert verified.principal is None and verified.act == ""


def test_signed_credentials_are_reused_until_they_age(monkeypatch: pytest.MonkeyPatch) -> None:
    signer = gateway_signer()
    act = mt.encode_principal(ALICE)
    first = signer.for_call(act, "chat")
    assert signer.for_call(act, "chat") is first
    assert signer.for_call(act, "identity") != first
    later = time.time() + mt.TTL_S - mt.REUSE_ABOVE_S + 2
    monkeypatch.setattr(mt, "time", SimpleNamespace(time=lambda: later))
    assert signer.for_call(act, "chat") != first


def test_a_remembered_credential_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    check = verifier()
    token = gateway_signer().sign(mt.encode_principal(ALICE), ["chat"])
    check.verify(token, audiences=frozenset({"chat"}))
    later = time.time() + mt.TTL_S + mt.LEEWAY_S + 2
    monkeypatch.setattr(mt, "time", SimpleNamespace(time=lambda: later))
    with pytest.raises(Unauthenticated, match="expired"):
        check.verify(token, audiences=frozenset({"chat"}))


def test_seal_turns_act_as_into_a_credential_and_keeps_it_in_process() -> None:
    security = mt.MeshSecurity(gateway_signer(), verifier())
    outgoing = (("x-request-id", "r1"), (mt.ACT_AS_KEY, mt.encode_principal(ALICE)))
    sealed = dict(security.seal(outgoing, "/meshconsole.chat.v1.ConversationService/List"))
    assert mt.ACT_AS_KEY not in sealed and sealed["x-request-id"] == "r1"
    assert verifier().verify(sealed[mt.CREDENTIAL_KEY], audiences=frozenset({"chat"})).principal == ALICE
    given = ((mt.CREDENTIAL_KEY, "given"),)
    assert security.seal(given, "/meshconsole.chat.v1.ConversationService/List") == given
    assert security.seal(outgoing[:1], "/grpc.health.v1.Health/Check") == outgoing[:1]


def test_a_service_forwards_the_callers_credential_only_where_it_holds() -> None:
    security = mt.MeshSecurity(service_signer("chat"), verifier())
    act = mt.encode_principal(ALICE)
    incoming = gateway_signer().for_call(act, "chat")
    token = mt.credential_var.set(verifier().verify(incoming, audiences=frozenset({"chat"})))
    try:
        assert security.credential_for(act, "retrieval") == incoming
        other = security.credential_for(mt.encode_principal(ADMIN), "retrieval")
        assert verifier().verify(other, audiences=frozenset({"retrieval"})).caller == "chat"
    finally:
        mt.credential_var.reset(token)
    near_end = gateway_signer().sign(act, mt.reach("chat"), now=time.time() - mt.TTL_S + mt.FORWARD_ABOVE_S - 1)
    token = mt.credential_var.set(verifier().verify(near_end, audiences=frozenset({"chat"})))
    try:
        renewed = security.credential_for(act, "retrieval")
    finally:
        mt.credential_var.reset(token)
    assert renewed != near_end and verifier().verify(renewed, audiences=frozenset({"retrieval"})).principal == ALICE


def test_dev_keys_derive_from_the_secret_key() -> None:
    settings = MeshSettings(secret_key="dev-secret")
    keys = mt.MeshKeys.from_settings(settings)
    same = mt.MeshKeys.derive("dev-secret")
    assert keys.gateway_public is not None and same.gateway_public is not None
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    assert keys.gateway_public.public_bytes(*raw) == same.gateway_public.public_bytes(*raw)
    other = mt.MeshKeys.derive("other-secret")
    assert other.gateway_public is not None
    assert other.gateway_public.public_bytes(*raw) != same.gateway_public.public_bytes(*raw)


def test_production_needs_its_own_keys_and_only_its_own() -> None:
    gateway_key, service_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    public = (
        gateway_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with pytest.raises(ValidationError, match="MESH_GATEWAY_TOKEN_KEY"):
        MeshSettings(env="production", secret_key="s")
    # One line with literal \n, as an env file carries it.
    gateway = MeshSettings(env="production", secret_key="s", gateway_token_key=pem(gateway_key).replace("\n", "\\n"))
    signer = mt.MeshSecurity.for_gateway(gateway).signer
    service = MeshSettings(
        env="production", secret_key="s", gateway_token_public_key=public, service_token_key=pem(service_key)
    )
    security = mt.MeshSecurity.for_service("chat", service)
    assert security.verifier is not None
    verified = security.verifier.verify(signer.for_call("", "chat"), audiences=frozenset({"chat"}))
    assert verified.caller == "gateway"
    with pytest.raises(ValueError, match="MESH_GATEWAY_TOKEN_KEY"):
        mt.MeshSecurity.for_gateway(service)
    with pytest.raises(ValueError, match="MESH_SERVICE_TOKEN_KEY"):
        mt.MeshSecurity.for_service("chat", gateway)
    both = MeshSettings(**{**service.model_dump(), "gateway_token_key": pem(gateway_key)})
    with pytest.raises(ValueError, match="only gateways"):
        mt.MeshSecurity.for_service("chat", both)
    with pytest.raises(ValueError, match="must not hold MESH_SERVICE_TOKEN_KEY"):
        mt.MeshSecurity.for_gateway(both)
