"""Per-request context: the request id (gRPC metadata, NATS headers) and the principal a call acts for."""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field

from services.kit.errors import Unauthenticated

REQUEST_ID_HEADER = "x-request-id"

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


principal_var: ContextVar[Principal | None] = ContextVar("principal", default=None)


def new_request_id() -> str:
    """A fresh request id (hex uuid4)."""
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The request id bound to the running task, if any."""
    return request_id_var.get()


def require_principal() -> Principal:
    """The principal the call's verified mesh credential names; a call without one is unauthenticated."""
    principal = principal_var.get()
    if principal is None:
        raise Unauthenticated("no principal in call metadata", reason="unauthorized")
    return principal
