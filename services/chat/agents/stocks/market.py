"""Picks the market-data provider the operator configured (MESH_CHAT_STOCK_PROVIDER)."""

from __future__ import annotations

from services.chat.agents.settings import AgentSettings
from services.chat.agents.stocks.akshare_provider import AkshareProvider
from services.chat.agents.stocks.provider import LocalDataset, MarketData


def market_data(settings: AgentSettings) -> MarketData:
    """The local dataset by default; akshare when asked for (imported only when a tool first calls it)."""
    if settings.chat_stock_provider == "akshare":
        return AkshareProvider(timeout_s=settings.chat_agent_tool_timeout_s)
    return LocalDataset(settings.stock_dataset_path())
