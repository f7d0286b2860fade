"""At chat start, answers left 'generating' by a chat process that died become errors; live replicas' are spared."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
import structlog
from nats.aio.client import Client

from services.chat.store import ChatStore
from services.chat.tasks import TaskRegistry
from services.kit import nats as mesh_nats

log = structlog.get_logger(__name__)
RUNNING_SUBJECT = "mesh.control.chat.running"
CLAIM_WINDOW_S = 0.5
_BATCH = 500


async def answer_running_queries(nc: Client, tasks: TaskRegistry) -> None:
    """Tell a starting replica which of the task ids it asks about run here (silence means none)."""

    async def on_query(msg: Any) -> None:
        try:
            asked = [str(task_id) for task_id in orjson.loads(msg.data)]
        except (orjson.JSONDecodeError, TypeError):
            return
        mine = [task_id for task_id in asked if tasks.is_running_here(task_id)]
        if mine and msg.reply:
            await msg.respond(orjson.dumps(mine))

    await mesh_nats.subscribe_traced(nc, RUNNING_SUBJECT, on_query, consumer="chat-recovery")


async def running_elsewhere(nc: Client, task_ids: Sequence[str], *, window_s: float = CLAIM_WINDOW_S) -> set[str]:
    """The task ids some live replica claims; every replica may answer, so replies are gathered for window_s."""
    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox)
    claimed: set[str] = set()
    try:
        for start in range(0, len(task_ids), _BATCH):
            batch = orjson.dumps(list(task_ids[start : start + _BATCH]))
            await mesh_nats.publish_signal(nc, RUNNING_SUBJECT, batch, reply=inbox)
        await nc.flush()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + window_s
        while (left := deadline - loop.time()) > 0:
            try:
                msg = await sub.next_msg(timeout=left)
            except TimeoutError:
                break
            claimed.update(str(task_id) for task_id in orjson.loads(msg.data))
    finally:
        await sub.unsubscribe()
    return claimed


async def recover_interrupted(store: ChatStore, nc: Client, *, booted_at: datetime) -> int:
    """Mark as 'error' the messages still 'generating' whose generating process is gone; keep their text.

    Several replicas share one database, so "generating" alone does not mean "interrupted". A message
    counts as interrupted when it was started before this process booted (this process runs nothing
    yet, and anything newer belongs to a live peer) and no live replica claims its task when asked over
    NATS. An owner column would need every writer to stamp it; asking the peers needs nothing stored.
    Call this before serving, after answer_running_queries is attached. A peer's message whose row is
    written but whose task is not registered yet (the same event-loop turn) is the one narrow miss.
    """
    candidates = await store.generating_tasks(created_before=booted_at)
    if not candidates:
        return 0
    claimed = await running_elsewhere(nc, candidates)
    recovered = await store.recover_interrupted(created_before=booted_at, running_elsewhere=claimed)
    log.info("interrupted_messages_recovered", recovered=recovered, still_running_elsewhere=len(claimed))
    return recovered
