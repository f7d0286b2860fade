"""Dify console app statistics: seven GET statistics/* routes over start/end ("YYYY-MM-DD HH:MM", server time)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query
from google.protobuf import timestamp_pb2
from meshconsole.chat.v1 import chat_pb2
from pydantic import BaseModel

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients, Settings
from gateway.dialects.dify.envelope import PREFIX
from gateway.dialects.dify.schemas import (
    DifyDailyConversations,
    DifyDailyEndUsers,
    DifyList,
    DifyResponseTime,
    DifySatisfactionRate,
    DifySessionInteractions,
    DifyTokenCosts,
    DifyTokensPerSecond,
)
from gateway.dialects.dify.shapes import uuid_param
from services.kit.errors import Internal, InvalidArgument

router = APIRouter(prefix=f"{PREFIX}/apps/{{app_id}}/statistics")
DATE_FORMAT = "%Y-%m-%d %H:%M"
Shape = Callable[[chat_pb2.StatisticRow], dict[str, Any]]
# Each route's metric, the per-day fields Dify answers with, and the response model.
METRICS: dict[str, tuple[int, Shape, type[BaseModel]]] = {
    "daily-conversations": (
        chat_pb2.STATISTIC_METRIC_DAILY_CONVERSATIONS,
        lambda row: {"conversation_count": int(row.value)},
        DifyList[DifyDailyConversations],
    ),
    "daily-end-users": (
        chat_pb2.STATISTIC_METRIC_DAILY_END_USERS,
        lambda row: {"terminal_count": int(row.value)},
        DifyList[DifyDailyEndUsers],
    ),
    "token-costs": (
        chat_pb2.STATISTIC_METRIC_TOKEN_COSTS,
        lambda row: {"token_count": row.token_count, "total_price": row.total_price, "currency": row.currency},
        DifyList[DifyTokenCosts],
    ),
    "average-session-interactions": (
        chat_pb2.STATISTIC_METRIC_AVERAGE_SESSION_INTERACTIONS,
        lambda row: {"interactions": row.value},
        DifyList[DifySessionInteractions],
    ),
    "user-satisfaction-rate": (
        chat_pb2.STATISTIC_METRIC_USER_SATISFACTION_RATE,
        lambda row: {"rate": row.value},
        DifyList[DifySatisfactionRate],
    ),
    "average-response-time": (
        chat_pb2.STATISTIC_METRIC_AVERAGE_RESPONSE_TIME,
        lambda row: {"latency": row.value},
        DifyList[DifyResponseTime],
    ),
    "tokens-per-second": (
        chat_pb2.STATISTIC_METRIC_TOKENS_PER_SECOND,
        lambda row: {"tps": row.value},
        DifyList[DifyTokensPerSecond],
    ),
}
DateParam = Annotated[str, Query(max_length=32, description="YYYY-MM-DD HH:MM in the server's timezone")]


def server_zone(name: str) -> ZoneInfo:
    """The configured MESH_TIMEZONE."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise Internal(f"MESH_TIMEZONE {name!r} is not a known timezone", reason="bad_timezone_setting") from None


def parse_moment(value: str, *, field: str, zone: ZoneInfo) -> timestamp_pb2.Timestamp | None:
    """Dify's "YYYY-MM-DD HH:MM" read in the server's timezone; "" is unset."""
    if not value:
        return None
    try:
        moment = datetime.strptime(value.strip(), DATE_FORMAT).replace(tzinfo=zone)
    except ValueError:
        raise InvalidArgument(f"{field} must be a date like 2024-04-19 16:28", field=field) from None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _route(name: str, metric: int, shape: Shape) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def statistic(
        clients: Clients,
        settings: Settings,
        principal: CurrentPrincipal,
        app_id: str,
        start: DateParam = "",
        end: DateParam = "",
    ) -> dict[str, Any]:
        zone = server_zone(settings.timezone)
        query = chat_pb2.GetStatisticsRequest(
            app_id=uuid_param(app_id, field="app_id"),
            metric=metric,
            start=parse_moment(start, field="start", zone=zone),
            end=parse_moment(end, field="end", zone=zone),
            timezone=settings.timezone,
        )
        reply = await clients.call(clients.insights.GetStatistics, query, principal=principal)
        return {"data": [{"date": row.date, **shape(row)} for row in reply.rows]}

    statistic.__name__ = f"statistics_{name.replace('-', '_')}"
    statistic.__doc__ = f"Dify statistics/{name}: one row per day with data, in the server's timezone."
    return statistic


for _name, (_metric, _shape, _model) in METRICS.items():
    router.add_api_route(f"/{_name}", _route(_name, _metric, _shape), methods=["GET"], response_model=_model)
