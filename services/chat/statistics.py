"""Dify app statistics from the stored messages, bucketed per day in a configurable timezone.

The rows are read once per request and bucketed in Python, so SQLite and PostgreSQL agree exactly on day
boundaries in any IANA timezone. Like Dify: start is inclusive, end exclusive, days without data are left out,
messages still generating are not counted yet.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chat.models import ConversationRecord, FeedbackRecord, MessageRecord
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

    def day(self, moment: datetime) -> str:
        return as_utc(moment).astimezone(self.zone).strftime("%Y-%m-%d")


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


def _messages_where(principal: Principal, app_id: str, span: Window) -> list[Any]:
    return [
        MessageRecord.app_id == app_id,
        visible_to(principal, MessageRecord.user_id, MessageRecord.company_id),
        MessageRecord.status != "generating",
        MessageRecord.created_at >= span.start,
        MessageRecord.created_at < span.end,
    ]


async def _message_rows(
    session: AsyncSession, principal: Principal, app_id: str, span: Window, *columns: Any
) -> list[Any]:
    query = sa.select(MessageRecord.created_at, *columns).where(*_messages_where(principal, app_id, span))
    return list(await session.execute(query))


def _by_day(span: Window, rows: list[Any], fold: Callable[[list[Any]], StatRow]) -> list[StatRow]:
    days: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        days[span.day(row[0])].append(row)
    return [replace(fold(days[day]), date=day) for day in sorted(days)]


def _row(value: float, **extra: Any) -> StatRow:
    return StatRow(date="", value=value, **extra)


async def compute(
    *, sessions: async_sessionmaker[AsyncSession], principal: Principal, app_id: str, metric: str, span: Window
) -> list[StatRow]:
    """One metric of an app per day, ascending, for the messages the caller may see."""
    async with sessions() as session:
        if metric == "daily-conversations":
            rows = await _message_rows(session, principal, app_id, span, MessageRecord.conversation_id)
            return _by_day(span, rows, lambda day: _row(len({r.conversation_id for r in day})))
        if metric == "daily-end-users":
            rows = await _message_rows(session, principal, app_id, span, MessageRecord.end_user, MessageRecord.user_id)
            return _by_day(span, rows, lambda day: _row(len({r.end_user or f"account:{r.user_id}" for r in day})))
        if metric == "token-costs":
            rows = await _message_rows(
                session, principal, app_id, span, MessageRecord.prompt_tokens, MessageRecord.completion_tokens
            )
            return _by_day(
                span, rows, lambda day: _row(0, token_count=sum(r.prompt_tokens + r.completion_tokens for r in day))
            )
        if metric == "average-session-interactions":
            return await _interactions(session, principal, app_id, span)
        if metric == "user-satisfaction-rate":
            rows = await _message_rows(session, principal, app_id, span, MessageRecord.id)
            likes = Counter(
                (
                    await session.execute(
                        sa.select(FeedbackRecord.message_id)
                        .join(MessageRecord, MessageRecord.id == FeedbackRecord.message_id)
                        .where(FeedbackRecord.rating == "like", *_messages_where(principal, app_id, span))
                    )
                ).scalars()
            )
            return _by_day(span, rows, lambda day: _row(round(sum(likes[r.id] for r in day) * 1000 / len(day), 2)))
        if metric == "average-response-time":
            rows = await _message_rows(session, principal, app_id, span, MessageRecord.latency_s)
            return _by_day(span, rows, lambda day: _row(round(sum(r.latency_s for r in day) / len(day) * 1000, 4)))
        if metric == "tokens-per-second":
            rows = await _message_rows(
                session, principal, app_id, span, MessageRecord.completion_tokens, MessageRecord.latency_s
            )
            return _by_day(span, rows, _tps)
    raise InvalidArgument(f"metric must be one of {', '.join(METRICS)}", field="metric")


def _tps(day: list[Any]) -> StatRow:
    seconds = sum(r.latency_s for r in day)
    return _row(round(sum(r.completion_tokens for r in day) / seconds, 4) if seconds > 0 else 0)


async def _interactions(session: AsyncSession, principal: Principal, app_id: str, span: Window) -> list[StatRow]:
    """Average exchanges per conversation, by the day each conversation started (chat conversations only)."""
    query = (
        sa.select(ConversationRecord.created_at, sa.func.count(MessageRecord.id).label("messages"))
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
    )
    rows = list(await session.execute(query))
    return _by_day(span, rows, lambda day: _row(round(sum(r.messages for r in day) / len(day), 2)))
