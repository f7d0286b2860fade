"""Group commit of generation turns: their rows are written off the first-token path, many turns per transaction."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chat.records import ConversationRecord, MessageRecord
from services.kit.clock import utcnow
from services.kit.context import Principal

log = structlog.get_logger(__name__)
_SEQ_ATTEMPTS = 5
CONVERSATIONS: sa.Table = ConversationRecord.__table__  # type: ignore[assignment]
MESSAGES: sa.Table = MessageRecord.__table__  # type: ignore[assignment]


@dataclass
class _Op:
    kind: str  # conversation | message | checkpoint | finish
    conversation: ConversationRecord | None = None
    message: MessageRecord | None = None
    values: dict[str, Any] | None = None
    done: asyncio.Future[None] | None = None


def _row(record: Any) -> dict[str, Any]:
    """Every column of a record as an insert parameter, column defaults filled in (executemany wants them all)."""
    row: dict[str, Any] = {}
    for column in sa.inspect(type(record)).columns:
        value = getattr(record, column.key)
        default = column.default
        if value is None and default is not None and getattr(default, "arg", None) is not None:
            value = default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]
        row[column.key] = value
    return row


def visible(principal: Principal, user_id: int, company_id: int) -> bool:
    """The store's tenancy filter (store.visible_to) for a row that is not committed yet."""
    if principal.is_company_wide:
        return company_id == principal.company_id
    return user_id == principal.user_id and company_id == principal.company_id


class TurnWriter:
    """Queues the rows of starting, progressing and finished turns and commits whatever piled up in one transaction.

    One commit runs at a time; while it runs, the next batch gathers, so the batch grows with the load and a lone
    turn is written at once. Nothing that streams a token waits on it: only the end of a turn awaits its commit.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._queue: list[_Op] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._conversations: dict[str, ConversationRecord] = {}  # queued, not committed yet
        self._tasks: dict[str, MessageRecord] = {}  # task_id -> a started message not committed yet
        self._failed_starts: set[str] = set()
        self._busy = False

    def _push(self, op: _Op) -> None:
        self._queue.append(op)
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="turn-writer")

    def create_conversation(self, record: ConversationRecord) -> None:
        """A new conversation; its seq is assigned when it is committed."""
        self._conversations[record.id] = record
        self._push(_Op("conversation", conversation=record))

    def start_message(self, record: MessageRecord) -> None:
        self._tasks[record.task_id] = record
        self._push(_Op("message", message=record))

    def checkpoint(self, message_id: str, *, answer: str, reasoning: str) -> None:
        """A still-generating answer's text so far (only the newest of a batch is written)."""
        values = {"id": message_id, "answer": answer, "reasoning": reasoning}
        self._push(_Op("checkpoint", values=values))

    async def finish(self, record: MessageRecord, values: dict[str, Any]) -> None:
        """The end of a turn, awaited until committed; it carries the whole row, so it stands even if the start
        write was lost."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._push(_Op("finish", message=record, values=values, done=done))
        await done

    def pending_conversation(self, conversation_id: str) -> ConversationRecord | None:
        return self._conversations.get(conversation_id)

    def pending_task(self, task_id: str) -> MessageRecord | None:
        return self._tasks.get(task_id)

    async def close(self) -> None:
        """Commit whatever is queued and stop."""
        while self._queue or self._busy:
            if self._queue and (self._task is None or self._task.done()):
                self._task = asyncio.create_task(self._run(), name="turn-writer")
            self._wake.set()
            await asyncio.sleep(0.005)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._queue = self._queue, []
            if not batch:
                continue
            self._busy = True
            try:
                failures: dict[int, BaseException] = {}
                try:
                    await self._commit_with_retry(batch)
                except Exception:
                    log.warning("turn_batch_failed", size=len(batch), exc_info=True)
                    failures = await self._commit_each(batch)
                self._settle(batch, failures)
            finally:
                self._busy = False

    async def _commit_with_retry(self, batch: list[_Op]) -> None:
        for attempt in range(_SEQ_ATTEMPTS):
            try:
                await self._commit(batch)
                return
            except IntegrityError:
                # Another writer (a replica, or a conversation made outside this queue) took the same seq.
                if attempt == _SEQ_ATTEMPTS - 1 or not any(op.kind == "conversation" for op in batch):
                    raise

    async def _commit_each(self, batch: list[_Op]) -> dict[int, BaseException]:
        """One transaction per turn op, so one bad row does not lose the others."""
        failures: dict[int, BaseException] = {}
        for index, op in enumerate(batch):
            try:
                await self._commit_with_retry([op])
            except Exception as error:
                failures[index] = error
                if op.kind == "message" and op.message is not None:
                    self._failed_starts.add(op.message.id)
                log.error("turn_write_failed", kind=op.kind, exc_info=True)
        return failures

    def _settle(self, batch: list[_Op], failures: dict[int, BaseException]) -> None:
        for index, op in enumerate(batch):
            if op.conversation is not None and op.kind == "conversation":
                self._conversations.pop(op.conversation.id, None)
            if op.message is not None and op.kind in ("message", "finish"):
                self._tasks.pop(op.message.task_id, None)
            if op.done is not None and not op.done.done():
                error = failures.get(index)
                if error is None:
                    op.done.set_result(None)
                else:
                    op.done.set_exception(error)

    async def _commit(self, batch: list[_Op]) -> None:
        conversations = [op.conversation for op in batch if op.kind == "conversation" and op.conversation is not None]
        messages: dict[str, dict[str, Any]] = {}
        counts: dict[str, int] = defaultdict(int)
        checkpoints: dict[str, dict[str, Any]] = {}
        finishes: dict[str, dict[str, Any]] = {}
        now = utcnow()
        for op in batch:
            if op.kind == "message" and op.message is not None:
                messages[op.message.id] = _row(op.message)
                counts[op.message.conversation_id] += 1
            elif op.kind == "checkpoint" and op.values is not None:
                message_id = op.values["id"]
                if message_id in messages:  # started in this batch: the insert carries the text
                    messages[message_id].update(answer=op.values["answer"], reasoning=op.values["reasoning"])
                else:
                    checkpoints[message_id] = {**op.values, "updated_at": now}
            elif op.kind == "finish" and op.message is not None and op.values is not None:
                message_id = op.message.id
                checkpoints.pop(message_id, None)
                if message_id in messages or message_id in self._failed_starts:
                    if message_id not in messages:  # its start never landed: the end write is the whole row
                        messages[message_id] = _row(op.message)
                        counts[op.message.conversation_id] += 1
                    messages[message_id].update(op.values, updated_at=now)
                else:
                    finishes[message_id] = {**op.values, "updated_at": now}
        async with self.sessions() as session, session.begin():
            if conversations:
                await _insert_conversations(session, conversations)
            if messages:
                await session.execute(sa.insert(MESSAGES), list(messages.values()))
            if counts:
                # Core statements on the tables: executemany, without the ORM's bulk-by-primary-key rules.
                table = CONVERSATIONS
                await session.execute(
                    sa.update(table)
                    .where(table.c.id == sa.bindparam("conversation"))
                    .values(
                        message_count=table.c.message_count + sa.bindparam("added"), updated_at=sa.bindparam("stamp")
                    ),
                    [{"conversation": cid, "added": n, "stamp": now} for cid, n in counts.items()],
                )
            for rows, only_generating in ((checkpoints, True), (finishes, False)):
                for keys, group in _by_keys(rows).items():
                    await _update_messages(session, keys, group, only_generating=only_generating)
        for message_id in finishes:
            self._failed_starts.discard(message_id)


async def _insert_conversations(session: AsyncSession, records: list[ConversationRecord]) -> None:
    """Insert new conversations with consecutive seqs after the current maximum (ids already taken are skipped)."""
    ids = [r.id for r in records]
    taken = set(
        (await session.execute(sa.select(ConversationRecord.id).where(ConversationRecord.id.in_(ids)))).scalars()
    )
    fresh = [r for r in records if r.id not in taken]
    if not fresh:
        return
    next_seq = int((await session.execute(sa.select(sa.func.max(ConversationRecord.seq)))).scalar() or 0)
    rows = []
    for offset, record in enumerate(fresh, start=1):
        record.seq = next_seq + offset
        rows.append(_row(record))
    await session.execute(sa.insert(CONVERSATIONS), rows)


def _by_keys(rows: dict[str, dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for message_id, values in rows.items():
        groups[tuple(sorted(values))].append({**values, "id": message_id})
    return groups


async def _update_messages(
    session: AsyncSession, keys: tuple[str, ...], rows: list[dict[str, Any]], *, only_generating: bool
) -> None:
    """One executemany UPDATE for rows that set the same columns."""
    columns = [k for k in keys if k != "id"]
    statement = sa.update(MESSAGES).where(MESSAGES.c.id == sa.bindparam("message"))
    if only_generating:  # a checkpoint never overwrites a finished answer
        statement = statement.where(MESSAGES.c.status == "generating")
    statement = statement.values({k: sa.bindparam(f"v_{k}") for k in columns})
    params = [{"message": row["id"], **{f"v_{k}": row[k] for k in columns}} for row in rows]
    await session.execute(statement, params)
