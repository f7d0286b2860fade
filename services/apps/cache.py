"""In-process cache of the generation view of apps (GetAppConfig), dropped by local writes and NATS events."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ConfigView:
    """What chat needs for one generation; owner and official decide who may read it."""

    app_id: str
    kind: int
    mode: str
    name: str
    config_version: int
    model_config_version: int
    model_config: dict[str, Any]
    enable_api: bool
    enable_site: bool
    mini_program_setting: str
    knowledge_file_ids: tuple[str, ...]
    owner_user_id: int
    owner_company_id: int
    official: bool
    updated_at: datetime


class ConfigCache:
    """LRU with a TTL. A fill started before an invalidation is discarded, so a stale read never sticks."""

    def __init__(self, *, size: int, ttl_s: float) -> None:
        self._entries: OrderedDict[str, tuple[float, ConfigView]] = OrderedDict()
        self._size = size
        self._ttl_s = ttl_s
        self._epoch = 0
        self.hits = 0
        self.misses = 0

    def get(self, app_id: str) -> ConfigView | None:
        entry = self._entries.get(app_id)
        if entry is None or entry[0] < time.monotonic():
            self.misses += 1
            return None
        self._entries.move_to_end(app_id)
        self.hits += 1
        return entry[1]

    def epoch(self) -> int:
        """Take before reading the database; pass to put()."""
        return self._epoch

    def put(self, view: ConfigView, *, epoch: int) -> None:
        if epoch != self._epoch or self._size <= 0:
            return
        self._entries[view.app_id] = (time.monotonic() + self._ttl_s, view)
        self._entries.move_to_end(view.app_id)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def drop(self, app_id: str) -> None:
        self._epoch += 1
        self._entries.pop(app_id, None)
