"""Nexent dialect under /api: per-group success shapes, `{"detail": ...}` errors, `{"type","content"}` SSE."""

from fastapi import APIRouter

# Each route module appends its router here; gateway.main includes them all.
ROUTERS: list[APIRouter] = []
