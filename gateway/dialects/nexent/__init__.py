"""Nexent dialect under /api: per-group success shapes, `{"detail": ...}` errors, `{"type","content"}` SSE."""
