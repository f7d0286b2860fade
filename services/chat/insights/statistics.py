"""Dify app statistics from the stored messages, aggregated per day in SQL in a configurable timezone.

Days are cut in any IANA zone on SQLite and PostgreSQL alike: the span is split into runs of local days with one UTC
offset (a DST change day is a run of its own), and each run is grouped by `(epoch + offset) // 86400` in SQL. Like
Dify: start is inclusive, end exclusive, days without data are left out, messages still generating are not counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chat.records import ConversationRecord, FeedbackRecord, MessageRecord
from services.chat.store import visible_to
from services.kit.clock import as_utc, utcnow
from services.kit.context import Principal
from services.kit.errors import InvalidArgument

METRICS = (
    "daily-conversations",
    "daily-end-users",
    "token-costs",
    "average-session-interactions",
    "user-satisfaction-rate",
    "average-response-time",
    "tokens-per-second",
)
DEFAULT_SPAN = timedelta(days=7)
MAX_SPAN = timedelta(days=3660)
EPOCH_DAY = date(1970, 1, 1)


@dataclass(frozen=True)
class StatRow:
    """One day: `value` is the metric (count, average, rate, ms or tps); token-costs also fill the rest."""

    date: str
    value: float
    token_count: int = 0
    total_price: str = "0"
    currency: str = "USD"


@dataclass(frozen=True)
class Window:
    """The [start, end) range in UTC and the zone that days are cut in."""

    start: datetime
    end: datetime
    zone: ZoneInfo


def window(*, start: datetime | None, end: datetime | None, timezone: str) -> Window:
    """Check the range and the zone; unset end is now, unset start is 7 days before end."""
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(f"unknown timezone {timezone!r}", field="timezone") from None
    end_at = as_utc(end) if end else utcnow()
    start_at = as_utc(start) if start else end_at - DEFAULT_SPAN
    if start_at > end_at:
        raise InvalidArgument("start must not be after end", field="start")
    if end_at - start_at > MAX_SPAN:
        raise InvalidArgument("the range between start and end is at most 10 years", field="start")
    return Window(start=start_at, end=end_at, zone=zone)


@dataclass(frozen=True)
class DayRun:
    """[start, end) in UTC over whole local days: one UTC offset throughout, or a single day (`day` set)."""

    start: datetime
    end: datetime
    offset_s: int
    day: date | None = None


def day_runs(span: Window) -> list[DayRun]:
    """The span cut into runs of local days that share one UTC offset; a day whose offset changes stands alone."""
    runs: list[DayRun] = []
    local = span.start.astimezone(span.zone).date()
    last = span.end.astimezone(span.zone).date()
    while local <= last:
        begin = _midnight(local, span.zone)
        after = _midnight(local + timedelta(days=1), span.zone)
        offset = _offset(begin, span.zone)
        steady = offset == _offset(after - timedelta(seconds=1), span.zone)
        start, end = max(begin, span.start), min(after, span.end)
        if start < end:
            previous = runs[-1] if runs else None
            if steady and previous and previous.day is None and previous.offset_s == offset and previous.end == start:
                runs[-1] = replace(previous, end=end)
            else:
                runs.append(DayRun(start, end, offset, None if steady else local))
        local += timedelta(days=1)
    return runs


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _offset(moment: datetime, zone: ZoneInfo) -> int:
    return int((moment.astimezone(zone).utcoffset() or timedelta()).total_seconds())


def _epoch_seconds(session: AsyncSession, column: Any) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        return sa.cast(sa.func.strftime("%s", column), sa.BigInteger)
    return sa.cast(sa.extract("epoch", column), sa.BigInteger)


async def _per_day(
    session: AsyncSession, span: Window, moment: Any, columns: list[Any], where: list[Any], source: Any = None
) -> dict[str, Any]:
    """Each local day's aggregate row, keyed 'YYYY-MM-DD': one GROUP BY query per run of days."""
    out: dict[str, Any] = {}
    for run in day_runs(span):
        if run.day is not None:
            key: Any = sa.literal((run.day - EPOCH_DAY).days)
        else:
            key = (_epoch_seconds(session, moment) + run.offset_s) // 86400
        query = sa.select(key.label("day_number"), *columns)
        if source is not None:
            query = query.select_from(source)
        query = query.where(*where, moment >= run.start, moment < run.end).group_by(key)
        for row in await session.execute(query):
            out[(EPOCH_DAY + timedelta(days=int(row.day_number))).isoformat()] = row
    return dict(sorted(out.items()))


def _messages_where(principal: Principal, app_id: str) -> list[Any]:
    return [
        MessageRecord.app_id == app_id,
        visible_to(principal, MessageRecord.user_id, MessageRecord.company_id),
        MessageRecord.status != "generating",
    ]


def _rows(days: dict[str, Any], value: Callable[[Any], float], **extra: Callable[[Any], Any]) -> list[StatRow]:
    return [
        StatRow(date=day, value=value(row), **{name: get(row) for name, get in extra.items()})
        for day, row in days.items()
    ]


async def compute(
    *, sessions: async_sessionmaker[AsyncSession], principal: Principal, app_id: str, metric: str, span: Window
) -> list[StatRow]:
    """One metric of an app per day, ascending, for the messages the caller may see."""
    if metric not in METRICS:
        raise InvalidArgument(f"metric must be one of {', '.join(METRICS)}", field="metric")
    where = _messages_where(principal, app_id)
    at = MessageRecord.created_at
    count = sa.func.count(MessageRecord.id).label("messages")
    async with sessions() as session:
        if metric == "daily-conversations":
            column = sa.func.count(sa.distinct(MessageRecord.conversation_id)).label("n")
            return _rows(await _per_day(session, span, at, [column], where), lambda r: r.n)
        if metric == "daily-end-users":
            account = sa.literal("account:") + sa.cast(MessageRecord.user_id, sa.String)
            who = sa.func.coalesce(sa.func.nullif(MessageRecord.end_user, ""), account)
            column = sa.func.count(sa.distinct(who)).label("n")
            return _rows(await _per_day(session, span, at, [column], where), lambda r: r.n)
        if metric == "token-costs":
            tokens = sa.func.sum(MessageRecord.prompt_tokens + MessageRecord.completion_tokens).label("tokens")
            days = await _per_day(session, span, at, [tokens], where)
            return _rows(days, lambda r: 0, token_count=lambda r: int(r.tokens or 0))
        if metric == "average-session-interactions":
            return await _interactions(session, principal, app_id, span)
        if metric == "user-satisfaction-rate":
            messages = await _per_day(session, span, at, [count], where)
            likes_count = sa.func.count(FeedbackRecord.id).label("likes")
            likes = await _per_day(
                session,
                span,
                at,
                [likes_count],
                [*where, FeedbackRecord.rating == "like"],
                source=sa.join(FeedbackRecord, MessageRecord, MessageRecord.id == FeedbackRecord.message_id),
            )
            return [
                StatRow(date=day, value=round((likes[day].likes if day in likes else 0) * 1000 / row.messages, 2))
                for day, row in messages.items()
            ]
        if metric == "average-response-time":
            latency = sa.func.sum(MessageRecord.latency_s).label("latency")
            days = await _per_day(session, span, at, [latency, count], where)
            return _rows(days, lambda r: round(float(r.latency or 0) / r.messages * 1000, 4))
        latency = sa.func.sum(MessageRecord.latency_s).label("latency")
        tokens = sa.func.sum(MessageRecord.completion_tokens).label("tokens")
        days = await _per_day(session, span, at, [latency, tokens], where)
        return _rows(days, _tps)


def _tps(row: Any) -> float:
    seconds = float(row.latency or 0)
    return round(int(row.tokens or 0) / seconds, 4) if seconds > 0 else 0


async def _interactions(session: AsyncSession, principal: Principal, app_id: str, span: Window) -> list[StatRow]:
    """Average exchanges per conversation, by the day each conversation started (chat conversations only)."""
    per_conversation = (
        sa.select(ConversationRecord.created_at.label("started"), sa.func.count(MessageRecord.id).label("messages"))
        .join(MessageRecord, MessageRecord.conversation_id == ConversationRecord.id)
        .where(
            ConversationRecord.app_id == app_id,
            ConversationRecord.mode == "chat",
            ConversationRecord.deleted.is_(False),
            visible_to(principal, ConversationRecord.user_id, ConversationRecord.company_id),
            ConversationRecord.created_at >= span.start,
            ConversationRecord.created_at < span.end,
            MessageRecord.status != "generating",
        )
        .group_by(ConversationRecord.id, ConversationRecord.created_at)
        .subquery()
    )
    columns = [sa.func.sum(per_conversation.c.messages).label("exchanges"), sa.func.count().label("conversations")]
    days = await _per_day(session, span, per_conversation.c.started, columns, [], source=per_conversation)
    return _rows(days, lambda r: round(int(r.exchanges) / r.conversations, 2))
