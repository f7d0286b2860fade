"""InsightsService: titles, suggested questions and statistics; proto <-> domain only."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from meshconsole.chat.v1 import chat_pb2, chat_pb2_grpc

from services.chat.generation.prompt import Turn
from services.chat.insights.service import InsightsService
from services.chat.insights.statistics import METRICS, StatRow
from services.kit.context import require_principal as caller
from services.kit.errors import InvalidArgument

METRIC_NAMES = {
    chat_pb2.STATISTIC_METRIC_DAILY_CONVERSATIONS: "daily-conversations",
    chat_pb2.STATISTIC_METRIC_DAILY_END_USERS: "daily-end-users",
    chat_pb2.STATISTIC_METRIC_TOKEN_COSTS: "token-costs",
    chat_pb2.STATISTIC_METRIC_AVERAGE_SESSION_INTERACTIONS: "average-session-interactions",
    chat_pb2.STATISTIC_METRIC_USER_SATISFACTION_RATE: "user-satisfaction-rate",
    chat_pb2.STATISTIC_METRIC_AVERAGE_RESPONSE_TIME: "average-response-time",
    chat_pb2.STATISTIC_METRIC_TOKENS_PER_SECOND: "tokens-per-second",
}


def stat_row(row: StatRow) -> chat_pb2.StatisticRow:
    return chat_pb2.StatisticRow(
        date=row.date,
        value=row.value,
        token_count=row.token_count,
        total_price=row.total_price,
        currency=row.currency,
    )


class InsightsServicer(chat_pb2_grpc.InsightsServiceServicer):
    """Titles, follow-up questions and Dify statistics."""

    def __init__(self, *, insights: InsightsService) -> None:
        self.insights = insights

    async def GenerateTitle(
        self, request: chat_pb2.GenerateTitleRequest, context: Any
    ) -> chat_pb2.GenerateTitleResponse:
        history = [Turn(m.role, m.content) for m in request.history]
        _, title = await self.insights.generate_title(principal=caller(), ref=request.conversation_id, history=history)
        return chat_pb2.GenerateTitleResponse(title=title)

    async def SuggestQuestions(
        self, request: chat_pb2.SuggestQuestionsRequest, context: Any
    ) -> chat_pb2.SuggestQuestionsResponse:
        questions = await self.insights.suggest(
            principal=caller(), app_id=request.app_id, message_id=request.message_id
        )
        return chat_pb2.SuggestQuestionsResponse(questions=questions)

    async def GetStatistics(
        self, request: chat_pb2.GetStatisticsRequest, context: Any
    ) -> chat_pb2.GetStatisticsResponse:
        if request.metric not in METRIC_NAMES:
            raise InvalidArgument(f"metric must be one of {', '.join(METRICS)}", field="metric")
        rows = await self.insights.statistics(
            principal=caller(),
            app_id=request.app_id,
            metric=METRIC_NAMES[request.metric],
            start=request.start.ToDatetime(tzinfo=UTC) if request.HasField("start") else None,
            end=request.end.ToDatetime(tzinfo=UTC) if request.HasField("end") else None,
            timezone=request.timezone,
        )
        return chat_pb2.GetStatisticsResponse(rows=[stat_row(r) for r in rows])
