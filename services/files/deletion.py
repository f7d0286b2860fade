"""Crash-safe deletion: tombstone, bytes, event, row; a sweep finishes whatever a crash left half done.

Order matters. The tombstone comes first, so nothing is served from that moment on. The files.deleted event
is published before the row goes, so a crash can only repeat the event (retrieval's DeleteBySource is
idempotent), never lose it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

import structlog

from services.files.adapters.base import ObjectBackend
from services.files.bus import Bus
from services.files.models import StoredObject
from services.files.store import FilesStore, Ref
from services.kit.clock import utcnow
from services.kit.context import Principal

log = structlog.get_logger(__name__)


class Deleter:
    """Deletes objects and finishes interrupted deletes and uploads."""

    def __init__(self, *, store: FilesStore, backend: ObjectBackend, bus: Bus) -> None:
        self.store = store
        self.backend = backend
        self.bus = bus

    async def delete(self, *, principal: Principal, refs: Sequence[Ref]) -> list[StoredObject]:
        """Delete the principal's objects among refs (others are skipped); returns the deleted rows."""
        rows = await self.store.tombstone(principal=principal, refs=refs)
        await self.finish(rows=rows)
        return rows

    async def finish(self, *, rows: Sequence[StoredObject]) -> None:
        """Bytes, then the event, then the rows, for rows already tombstoned (or stalled uploads)."""
        if not rows:
            return
        for row in rows:
            await self.backend.delete(row.key)
        committed: dict[tuple[int, int], list[str]] = defaultdict(list)
        for row in rows:
            # An upload that never committed has no chunks anywhere: no event for it.
            if row.sha256:
                committed[(row.user_id, row.company_id)].append(str(row.id))
        for (user_id, company_id), ids in committed.items():
            await self.bus.event(
                entity="files",
                verb="deleted",
                payload={"file_ids": ids, "user_id": user_id, "company_id": company_id},
            )
        await self.store.remove(object_ids=[row.id for row in rows])
        log.info("objects_deleted", count=len(rows), ids=[row.id for row in rows][:20])

    async def discard_upload(self, *, row: StoredObject) -> None:
        """Remove a failed upload's row and whatever bytes it left; a crash leaves it to the sweep."""
        tombstoned = await self.store.tombstone_by_id(object_id=row.id)
        if tombstoned is not None:
            await self.finish(rows=[tombstoned])

    async def recover(self, *, stale_upload_s: float, tombstone_grace_s: float = 0.0) -> int:
        """Finish every tombstoned delete and remove uploads stalled for longer than stale_upload_s."""
        now = utcnow()
        rows = await self.store.unfinished(
            pending_before=now - timedelta(seconds=stale_upload_s),
            deleting_before=now - timedelta(seconds=tombstone_grace_s),
        )
        if rows:
            log.warning("finishing_interrupted_deletes", count=len(rows))
            await self.finish(rows=rows)
        return len(rows)
