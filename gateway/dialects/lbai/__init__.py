"""lbai dialect under /ai-api/v1: `{"data", "errorCode", "message", "success"}` envelopes and lbai pages."""

from fastapi import APIRouter

# Each route module appends its router here; gateway.main includes them all.
ROUTERS: list[APIRouter] = []
