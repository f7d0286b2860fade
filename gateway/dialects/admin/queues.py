"""Admin: JetStream queue depths per stream and consumer, and the dead letters waiting for an operator."""

from __future__ import annotations

import asyncio
from typing import Any

import nats.errors
import nats.js.errors
from fastapi import APIRouter, Request

from gateway.auth import AdminPrincipal
from gateway.config import GatewaySettings
from gateway.deps import Settings
from gateway.dialects.admin.schemas import AdminQueues
from services.kit import nats as mesh_nats
from services.kit.errors import Unavailable

router = APIRouter(prefix="/admin/v1")


async def queue_depths(nc: Any, *, timeout_s: float) -> dict[str, Any]:
    """Every stream's stored messages and each consumer's backlog (pending, in flight, redelivered)."""
    if nc is None or not nc.is_connected:
        raise Unavailable("NATS is not connected", reason="nats_unavailable")
    js = nc.jetstream()
    try:
        async with asyncio.timeout(timeout_s):
            streams = []
            for info in sorted(await js.streams_info(), key=lambda s: s.config.name or ""):
                name = info.config.name or ""
                consumers = [
                    {
                        "name": consumer.name,
                        "pending": consumer.num_pending or 0,
                        "in_flight": consumer.num_ack_pending or 0,
                        "redelivered": consumer.num_redelivered or 0,
                    }
                    for consumer in sorted(await js.consumers_info(name), key=lambda c: c.name)
                ]
                streams.append({"name": name, "messages": info.state.messages, "consumers": consumers})
    except (TimeoutError, nats.errors.Error, nats.js.errors.Error) as error:
        raise Unavailable("JetStream did not answer", reason="nats_unavailable") from error
    dead = next((s["messages"] for s in streams if s["name"] == mesh_nats.DLQ_STREAM), 0)
    return {"streams": streams, "dead_letters": dead}


@router.get("/queues", response_model=AdminQueues)
async def queues(request: Request, settings: Settings, principal: AdminPrincipal) -> dict[str, Any]:
    """JetStream work: each stream's messages and each consumer's pending, in-flight and redelivered counts.

    `dead_letters` is how many messages wait in MESH_DLQ (tasks that failed every retry, or expired unconsumed).
    """
    config: GatewaySettings = settings
    return await queue_depths(getattr(request.app.state, "nats", None), timeout_s=config.gateway_readiness_timeout_s)
