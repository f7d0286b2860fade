"""lbai stock analysis: POST /stock/info answers the day's moves, news, an analysis and threshold alerts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from meshconsole.chat.v1 import chat_pb2
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth import CurrentPrincipal
from gateway.deps import Clients
from gateway.dialects.lbai.envelope import ok
from gateway.dialects.lbai.schemas import LbaiEnvelope, StockAnswer

router = APIRouter(prefix="/ai-api/v1")
LLM_TIMEOUT_S = 300.0


class StockBody(BaseModel):
    """The seed sends the thresholds as strings ("0.05") or numbers: both are read as decimals."""

    model_config = ConfigDict(extra="ignore")

    stocks_code: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9.]+$")
    stocks_name: str = Field(default="", max_length=64)
    minimum_value: float | None = Field(default=None, ge=0, le=1)
    maximum_value: float | None = Field(default=None, ge=0, le=1)


@router.post("/stock/info", response_model=LbaiEnvelope[StockAnswer])
async def stock_info(principal: CurrentPrincipal, clients: Clients, body: StockBody) -> dict[str, Any]:
    """The stock's close and day change with its industry and the index, the news, an analysis and the alerts."""
    request = chat_pb2.GetStockInfoRequest(stocks_code=body.stocks_code, stocks_name=body.stocks_name)
    if body.minimum_value is not None:
        request.minimum_value = body.minimum_value
    if body.maximum_value is not None:
        request.maximum_value = body.maximum_value
    reply = await clients.call(clients.agents.GetStockInfo, request, timeout_s=LLM_TIMEOUT_S)
    return ok(
        {
            "answer": reply.answer,
            "model": reply.model,
            "crystalStone": reply.crystal_stone,
            "requestId": reply.request_id,
        }
    )
