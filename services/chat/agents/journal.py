"""Saves an agent message's steps as each one finishes, so a crashed chat process keeps the steps of its runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chat.records import MessageRecord
from services.kit.clock import utcnow

log = structlog.get_logger(__name__)
Snapshot = Callable[[str, str], dict[str, Any]]  # (answer, reasoning) -> the message's extra with its steps
# The "generating" row may still be on its way (it is written beside the first upstream request): how long a step
# waits for it before its steps are left to the next step or the end of the turn.
ROW_WAIT_S = (0.05, 0.2, 0.5, 1.0)


class StepJournal:
    """Off the streaming path: one write in flight per message; steps that finish meanwhile go in the next write.

    Writes touch only a message still "generating", so the end-of-turn write, which has everything, always wins.
    """

    def __init__(self) -> None:
        self._writing: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()

    def save(
        self,
        sessions: async_sessionmaker[AsyncSession],
        message_id: str,
        snapshot: Snapshot,
        answer: list[str],
        reasoning: list[str],
    ) -> None:
        """Queue a write of the message's steps (and its text so far); never blocks the stream."""
        if message_id in self._writing:
            self._again.add(message_id)
            return
        task = asyncio.create_task(self._write(sessions, message_id, snapshot, answer, reasoning))
        self._writing[message_id] = task

    async def idle(self, message_id: str) -> None:
        """Wait for the message's pending write (tests, and callers that want the steps on disk)."""
        task = self._writing.get(message_id)
        if task is not None:
            await asyncio.shield(task)

    async def _write(
        self,
        sessions: async_sessionmaker[AsyncSession],
        message_id: str,
        snapshot: Snapshot,
        answer: list[str],
        reasoning: list[str],
    ) -> None:
        try:
            while True:
                self._again.discard(message_id)
                values = {
                    "extra": snapshot("".join(answer), "".join(reasoning)),
                    "answer": "".join(answer),
                    "reasoning": "".join(reasoning),
                    "updated_at": utcnow(),
                }
                await _update(sessions, message_id, values)
                if message_id not in self._again:
                    return
        except Exception:  # a lost step write only loses progress; the end-of-turn write carries everything
            log.warning("agent_steps_not_saved", message_id=message_id, exc_info=True)
        finally:
            self._writing.pop(message_id, None)
            self._again.discard(message_id)


async def _update(sessions: async_sessionmaker[AsyncSession], message_id: str, values: dict[str, Any]) -> None:
    """Update the message while it is generating; wait a little for a row that is not written yet."""
    for wait_s in (*ROW_WAIT_S, None):
        async with sessions() as session, session.begin():
            done = await session.execute(
                sa.update(MessageRecord)
                .where(MessageRecord.id == message_id, MessageRecord.status == "generating")
                .values(**values)
            )
            if done.rowcount:  # type: ignore[attr-defined]
                return
            found = await session.execute(sa.select(MessageRecord.status).where(MessageRecord.id == message_id))
            if found.first() is not None or wait_s is None:
                return  # finished already (its own write has every step), or never written (an ephemeral turn)
        await asyncio.sleep(wait_s)
