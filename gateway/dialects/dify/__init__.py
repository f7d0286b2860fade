"""Dify console dialect under /console/api: plain objects, `{"code","message","status"}` errors, Dify SSE."""

from fastapi import APIRouter

# Each route module appends its router here; gateway.main includes them all.
ROUTERS: list[APIRouter] = []
