"""NextConsole dialect: `{"error_code", "error_message", "error_status", "result"}` envelopes."""

from fastapi import APIRouter

# Each route module appends its router here; gateway.main includes them all.
ROUTERS: list[APIRouter] = []
