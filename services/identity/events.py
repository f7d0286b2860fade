"""Revocation events identity publishes; every gateway applies them to its in-memory revocation list."""

from __future__ import annotations

from collections.abc import Mapping

import nats.errors
import structlog
from nats.aio.client import Client

from services.kit import nats as mesh_nats

log = structlog.get_logger(__name__)


class IdentityEvents:
    """Publishes on mesh.events.apikeys.revoked and mesh.events.users.tokens_revoked.

    A lost event costs only speed: the revocation is already in the database, and every gateway re-reads the
    recent ones every few seconds (ListRevocations). So a publish failure is logged, never raised.
    """

    def __init__(self, nc: Client) -> None:
        self._nc = nc

    async def key_revoked(self, *, key_id: str, key_hash: str, revoked_at: int) -> None:
        """An API key and every token minted from it are revoked."""
        payload = {"key_id": key_id, "key_hash": key_hash, "revoked_at": revoked_at}
        await self._publish(entity="apikeys", verb="revoked", payload=payload)

    async def tokens_revoked(self, *, user_id: int, not_before: int) -> None:
        """Every token issued to the user before not_before (unix seconds) is refused from now on."""
        payload = {"user_id": user_id, "not_before": not_before}
        await self._publish(entity="users", verb="tokens_revoked", payload=payload)

    async def _publish(self, *, entity: str, verb: str, payload: Mapping[str, object]) -> None:
        try:
            await mesh_nats.publish_event(self._nc, entity=entity, verb=verb, payload=payload)
        except (nats.errors.Error, TimeoutError, OSError) as error:
            log.warning("revocation_event_not_published", entity=entity, error=str(error) or type(error).__name__)
