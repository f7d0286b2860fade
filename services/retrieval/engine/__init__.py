"""Search engines behind one interface: `embedded` (SQLite FTS5 + numpy) and `elasticsearch`."""
