"""SQLite checks shared by service tests: whether an outside connection can take the write lock."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def write_lock_is_free(path: Path, *, wait_s: float) -> bool:
    """Whether an outside connection gets SQLite's write lock within wait_s (its busy handler waits that long)."""
    connection = sqlite3.connect(path, timeout=wait_s, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()
