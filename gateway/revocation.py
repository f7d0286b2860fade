"""The gateway's in-memory revocation list: revoked API key ids and per-user token cutoffs.

Identity keeps both durably and announces each change on NATS; the gateway applies the events at once, loads
the whole list at start and re-reads recent changes every few seconds, so a replica that started later or
missed an event still refuses what was revoked. Checking a token is two dict lookups.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from meshconsole.identity.v1 import identity_pb2

# Re-read changes from a little before the last read: a revocation committed late still carries its own time.
SYNC_OVERLAP_S = 120
# Entries older than identity's horizon refuse only expired tokens; they are dropped about hourly.
PRUNE_EVERY_S = 3600


@dataclass
class RevocationList:
    """Revoked key id -> revoked at, and user id -> cutoff (tokens issued earlier are refused), unix seconds."""

    keys: dict[str, int] = field(default_factory=dict)
    users: dict[int, int] = field(default_factory=dict)
    loaded: bool = False
    synced_to: int = 0
    pruned_to: int = 0

    def revoke_key(self, key_id: str, revoked_at: int) -> None:
        """Refuse the key and every token minted from it."""
        self.keys[key_id] = revoked_at

    def cut_user(self, user_id: int, not_before: int) -> None:
        """Refuse the user's tokens issued before not_before; a cutoff only ever moves forward."""
        if not_before > self.users.get(user_id, 0):
            self.users[user_id] = not_before

    def key_revoked(self, key_id: str) -> bool:
        return bool(key_id) and key_id in self.keys

    def issued_too_early(self, user_id: int, issued_at: float) -> bool:
        """True when the user's cutoff is later than issued_at (a token's iat, or when a key was resolved)."""
        return issued_at < self.users.get(user_id, 0)

    def refuses(self, *, user_id: int, issued_at: float, api_key_id: str) -> bool:
        """True for a token whose key was revoked or that was issued before its user's cutoff."""
        return self.key_revoked(api_key_id) or self.issued_too_early(user_id, issued_at)

    def since(self) -> int:
        """The since_unix for the next read: everything on the first, recent changes afterwards."""
        return max(0, self.synced_to - SYNC_OVERLAP_S) if self.loaded else 0

    def apply(self, reply: identity_pb2.Revocations) -> None:
        """Merge a ListRevocations answer."""
        for key in reply.keys:
            self.revoke_key(key.key_id, key.revoked_at_unix)
        for cut in reply.users:
            self.cut_user(cut.user_id, cut.not_before_unix)
        self.synced_to = reply.server_time_unix
        self.loaded = True
        if reply.horizon_unix - self.pruned_to > PRUNE_EVERY_S:
            self.keys = {k: at for k, at in self.keys.items() if at >= reply.horizon_unix}
            self.users = {u: nb for u, nb in self.users.items() if nb >= reply.horizon_unix}
            self.pruned_to = reply.horizon_unix
