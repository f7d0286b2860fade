"""The mesh credential: a short-lived Ed25519 JWT that names who a gRPC call acts for, and who sent it.

The gateway signs one per principal and target service with the gateway key. A service verifies it in its server
interceptor and forwards it to the peers it calls for the same user. What a service does on its own behalf (an
ingestion worker, a NATS consumer) it signs with the service key: `sub` is the service, `act` the principal it acts
for, if any. Only gateways hold the gateway key, and only services hold the service key.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.kit.context import Principal
from services.kit.errors import Unauthenticated
from services.kit.mesh_tls import MeshTls
from services.kit.settings import MeshSettings

CREDENTIAL_KEY = "x-mesh-credential"
# In-process only: whom an outgoing call acts for, until its channel turns that into a credential. Never trusted.
ACT_AS_KEY = "x-mesh-act-as"
GATEWAY = "gateway"
SERVICE = "service"
_ISSUERS = {GATEWAY: "meshconsole-gateway", SERVICE: "meshconsole-service"}
ALGORITHM = "EdDSA"
TTL_S = 60
# A signed credential is reused while it has this long to live; one is forwarded while it has FORWARD_ABOVE_S.
REUSE_ABOVE_S = 45
FORWARD_ABOVE_S = 15
LEEWAY_S = 10
_CACHE_MAX = 10_000
# Probes and tooling reach these without a credential.
OPEN_SERVICES = ("grpc.health.v1.", "grpc.reflection.")

# Which peers each service calls, for a user or on its own behalf. A gateway credential for a service reaches these
# peers too (the service forwards it); a service credential is accepted only by the peers its service calls.
PEERS: dict[str, tuple[str, ...]] = {
    "chat": ("apps", "retrieval", "voice", "files"),
    "retrieval": ("files", "chat"),
    "meetings": ("voice", "chat", "files"),
    "voice": ("files", "chat"),
}

credential_var: ContextVar[VerifiedCredential | None] = ContextVar("mesh_credential", default=None)


@lru_cache(maxsize=256)
def reach(target: str) -> tuple[str, ...]:
    """The target and every service it calls, directly or through a peer."""
    found = [target]
    for name in found:  # grows while walked: a breadth-first closure
        found.extend(peer for peer in PEERS.get(name, ()) if peer not in found)
    return tuple(found)


def audience_of(name: str) -> str:
    """The service a gRPC service or method belongs to: `chat` for /meshconsole.chat.v1.GenerationService/Generate."""
    service = name.lstrip("/").split("/", 1)[0]
    parts = service.split(".")
    return parts[1] if parts[0] == "meshconsole" and len(parts) > 2 else service


def is_open(name: str) -> bool:
    """Whether a gRPC service or method answers without a credential (health, reflection)."""
    return name.lstrip("/").startswith(OPEN_SERVICES)


@lru_cache(maxsize=4096)
def encode_principal(principal: Principal | None) -> str:
    """The principal as canonical claim text ('' for none); equal principals encode alike."""
    if principal is None:
        return ""
    claims = {"uid": principal.user_id, "cid": principal.company_id, "roles": list(principal.roles)}
    return json.dumps({**claims, "kind": principal.kind}, separators=(",", ":"))


def _principal(claim: Any) -> Principal | None:
    if claim is None:
        return None
    return Principal(
        user_id=int(claim["uid"]),
        company_id=int(claim["cid"]),
        roles=tuple(str(role) for role in claim.get("roles") or ()),
        kind=str(claim.get("kind") or "token"),
    )


def derive_key(secret: str, purpose: str) -> Ed25519PrivateKey:
    """An Ed25519 key derived from the platform secret (HKDF-SHA256), the same in every process that shares it."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"meshconsole mesh credential", info=purpose.encode())
    return Ed25519PrivateKey.from_private_bytes(seed.derive(secret.encode()))


def _pem(value: str) -> bytes:
    # An env file may carry the PEM on one line, with literal "\n".
    return value.replace("\\n", "\n").strip().encode()


def load_private_key(pem: str, *, env: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM; ValueError naming the setting otherwise."""
    key = serialization.load_pem_private_key(_pem(pem), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{env} must be an Ed25519 private key")
    return key


def load_public_key(pem: str, *, env: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; ValueError naming the setting otherwise."""
    key = serialization.load_pem_public_key(_pem(pem))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{env} must be an Ed25519 public key")
    return key


@dataclass(frozen=True, repr=False)
class MeshKeys:
    """The keys one process holds: unset ones are derived from MESH_SECRET_KEY in dev, absent in production."""

    gateway_private: Ed25519PrivateKey | None
    gateway_public: Ed25519PublicKey | None
    service_private: Ed25519PrivateKey | None

    @classmethod
    def derive(cls, secret: str) -> MeshKeys:
        """Every key, from one secret: what the dev mesh and tests use."""
        gateway = derive_key(secret, "gateway-token")
        return cls(gateway, gateway.public_key(), derive_key(secret, "service-token"))

    @classmethod
    def from_settings(cls, settings: MeshSettings) -> MeshKeys:
        """MESH_GATEWAY_TOKEN_KEY, MESH_GATEWAY_TOKEN_PUBLIC_KEY and MESH_SERVICE_TOKEN_KEY, or their dev defaults."""
        complete = settings.gateway_token_key and settings.service_token_key
        derived = cls.derive(settings.resolved_secret_key()) if settings.env != "production" and not complete else None
        gateway = derived.gateway_private if derived else None
        service = derived.service_private if derived else None
        if settings.gateway_token_key:
            gateway = load_private_key(settings.gateway_token_key, env="MESH_GATEWAY_TOKEN_KEY")
        if settings.service_token_key:
            service = load_private_key(settings.service_token_key, env="MESH_SERVICE_TOKEN_KEY")
        public = gateway.public_key() if gateway is not None else None
        if settings.gateway_token_public_key:
            public = load_public_key(settings.gateway_token_public_key, env="MESH_GATEWAY_TOKEN_PUBLIC_KEY")
        return cls(gateway, public, service)


class CredentialSigner:
    """Signs credentials as the gateway or as one named service, and reuses each for a few seconds."""

    def __init__(self, key: Ed25519PrivateKey, *, kind: str, subject: str) -> None:
        self._key = key
        self.kind = kind
        self.subject = subject
        self._cache: dict[tuple[str, str], tuple[str, float]] = {}

    def sign(self, act: str, audience: Iterable[str], *, now: float | None = None, ttl_s: float = TTL_S) -> str:
        """A fresh credential acting for `act` (encode_principal; '' for no principal), for the named services."""
        issued = int(time.time() if now is None else now)
        claims: dict[str, Any] = {
            "iss": _ISSUERS[self.kind],
            "sub": self.subject,
            "aud": list(audience),
            "iat": issued,
            "exp": issued + int(ttl_s),
        }
        if act:
            claims["act"] = json.loads(act)
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kind})

    def for_call(self, act: str, target: str) -> str:
        """A credential the target accepts; a gateway one also reaches the target's peers, which it is forwarded to."""
        now = time.time()
        cached = self._cache.get((act, target))
        if cached is not None and cached[1] - now > REUSE_ABOVE_S:
            return cached[0]
        token = self.sign(act, reach(target) if self.kind == GATEWAY else (target,), now=now)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[(act, target)] = (token, int(now) + TTL_S)
        return token


@dataclass(frozen=True)
class VerifiedCredential:
    """A credential whose signature and claims checked out; `act` is its principal's encoding."""

    raw: str
    kind: str
    caller: str
    principal: Principal | None
    act: str
    audience: frozenset[str]
    expires_at: float


def _refuse(message: str) -> Unauthenticated:
    return Unauthenticated(message, reason="invalid_credential")


class CredentialVerifier:
    """Checks credentials against the gateway's and the services' public keys; remembers good ones until they expire."""

    def __init__(self, *, gateway_public: Ed25519PublicKey, service_public: Ed25519PublicKey | None) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {GATEWAY: gateway_public}
        if service_public is not None:
            self._keys[SERVICE] = service_public
        self._cache: dict[str, VerifiedCredential] = {}

    def verify(self, raw: str, *, audiences: frozenset[str]) -> VerifiedCredential:
        """The credential, if it is meant for one of `audiences` and its sender may call them; else Unauthenticated."""
        verified = self._cache.get(raw) or self._decode(raw)
        if verified.expires_at + LEEWAY_S < time.time():
            self._cache.pop(raw, None)
            raise _refuse("the mesh credential has expired")
        served = verified.audience & audiences
        if not served:
            raise _refuse("the mesh credential is for another service")
        if verified.kind == SERVICE and not any(name in PEERS.get(verified.caller, ()) for name in served):
            raise _refuse(f"service {verified.caller!r} does not call {', '.join(sorted(served))}")
        return verified

    def _decode(self, raw: str) -> VerifiedCredential:
        try:
            kind = jwt.get_unverified_header(raw).get("kid")
        except jwt.PyJWTError:
            raise _refuse("the mesh credential is malformed") from None
        key = self._keys.get(kind) if isinstance(kind, str) else None
        if key is None or not isinstance(kind, str):
            raise _refuse("the mesh credential is signed by an unknown key")
        try:
            claims = jwt.decode(
                raw,
                key,
                algorithms=[ALGORITHM],
                issuer=_ISSUERS[kind],
                leeway=LEEWAY_S,
                options={"require": ["iss", "sub", "aud", "iat", "exp"], "verify_aud": False},
            )
            principal = _principal(claims.get("act"))
        except jwt.ExpiredSignatureError:
            raise _refuse("the mesh credential has expired") from None
        except (jwt.PyJWTError, KeyError, TypeError, ValueError, AttributeError):
            raise _refuse("the mesh credential is invalid") from None
        audience = claims["aud"]
        verified = VerifiedCredential(
            raw=raw,
            kind=kind,
            caller=str(claims["sub"]),
            principal=principal,
            act=encode_principal(principal),
            audience=frozenset([audience] if isinstance(audience, str) else map(str, audience)),
            expires_at=float(claims["exp"]),
        )
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[raw] = verified
        return verified


@dataclass(frozen=True)
class MeshSecurity:
    """How one process signs the calls it makes, verifies the calls it serves, and whether it speaks mTLS."""

    signer: CredentialSigner
    verifier: CredentialVerifier | None = None
    tls: MeshTls | None = None

    @classmethod
    def for_gateway(cls, settings: MeshSettings) -> MeshSecurity:
        """The gateway: signs with the gateway key, serves no gRPC."""
        keys = MeshKeys.from_settings(settings)
        if keys.gateway_private is None:
            raise ValueError("the gateway needs MESH_GATEWAY_TOKEN_KEY when MESH_ENV=production")
        if settings.env == "production" and settings.service_token_key:
            raise ValueError("the gateway must not hold MESH_SERVICE_TOKEN_KEY")
        return cls(CredentialSigner(keys.gateway_private, kind=GATEWAY, subject=GATEWAY), tls=_tls(settings))

    @classmethod
    def for_service(cls, name: str, settings: MeshSettings) -> MeshSecurity:
        """A service: verifies gateway and service credentials, signs its own work with the service key."""
        keys = MeshKeys.from_settings(settings)
        if keys.gateway_public is None or keys.service_private is None:
            raise ValueError(
                "a service needs MESH_GATEWAY_TOKEN_PUBLIC_KEY and MESH_SERVICE_TOKEN_KEY when MESH_ENV=production"
            )
        if settings.env == "production" and settings.gateway_token_key:
            raise ValueError("a service must not hold MESH_GATEWAY_TOKEN_KEY: only gateways do")
        verifier = CredentialVerifier(
            gateway_public=keys.gateway_public, service_public=keys.service_private.public_key()
        )
        return cls(CredentialSigner(keys.service_private, kind=SERVICE, subject=name), verifier, _tls(settings))

    def credential_for(self, act: str, target: str) -> str:
        """The call's own credential when it acts for the same principal and reaches target; else a signed one."""
        current = credential_var.get()
        if (
            current is not None
            and current.act == act
            and target in current.audience
            and current.expires_at - time.time() > FORWARD_ABOVE_S
        ):
            return current.raw
        return self.signer.for_call(act, target)

    def seal(self, metadata: Sequence[tuple[str, str | bytes]] | None, method: str) -> tuple[tuple[str, Any], ...]:
        """Outgoing metadata for one call: the act-as entry becomes a credential for the method's service."""
        act = ""
        sealed = False
        items: list[tuple[str, Any]] = []
        for key, value in metadata or ():
            if key == ACT_AS_KEY:
                act = str(value)
                continue
            sealed = sealed or key == CREDENTIAL_KEY
            items.append((key, value))
        if not sealed and not is_open(method):
            items.append((CREDENTIAL_KEY, self.credential_for(act, audience_of(method))))
        return tuple(items)


def _tls(settings: MeshSettings) -> MeshTls | None:
    return MeshTls.from_files(
        cert_file=settings.grpc_tls_cert_file, key_file=settings.grpc_tls_key_file, ca_file=settings.grpc_tls_ca_file
    )


_installed: MeshSecurity | None = None


def install(security: MeshSecurity | None) -> MeshSecurity | None:
    """Make `security` this process's (run_service installs a service's at start); returns the one it replaces."""
    global _installed
    previous, _installed = _installed, security
    return previous


def installed() -> MeshSecurity:
    """This process's security; services install it in run_service, tests through the kit's pytest plugin."""
    if _installed is None:
        raise RuntimeError("no mesh security installed: call mesh_tokens.install(MeshSecurity.for_service(...))")
    return _installed
