"""Per-request context that travels through gRPC metadata and NATS headers."""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field

from services.kit.errors import Unauthenticated

REQUEST_ID_HEADER = "x-request-id"
# gRPC metadata keys carrying the caller's principal from the gateway to services.
USER_ID_KEY = "x-mesh-user-id"
COMPANY_ID_KEY = "x-mesh-company-id"
ROLES_KEY = "x-mesh-roles"
PRINCIPAL_KIND_KEY = "x-mesh-principal-kind"
CLIENT_IP_KEY = "x-mesh-client-ip"

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a user acting alone, or a company key acting for its whole company."""

    user_id: int
    company_id: int
    roles: tuple[str, ...] = field(default_factory=tuple)
    kind: str = "token"

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_company_wide(self) -> bool:
        return self.kind == "company_key"

    def to_metadata(self) -> list[tuple[str, str]]:
        return [
            (USER_ID_KEY, str(self.user_id)),
            (COMPANY_ID_KEY, str(self.company_id)),
            (ROLES_KEY, ",".join(self.roles)),
            (PRINCIPAL_KIND_KEY, self.kind),
        ]


principal_var: ContextVar[Principal | None] = ContextVar("principal", default=None)


def new_request_id() -> str:
    """A fresh request id (hex uuid4)."""
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The request id bound to the running task, if any."""
    return request_id_var.get()


def require_principal() -> Principal:
    """The caller the gateway named in gRPC metadata; a call without one is unauthenticated."""
    principal = principal_var.get()
    if principal is None:
        raise Unauthenticated("no principal in call metadata", reason="unauthorized")
    return principal
