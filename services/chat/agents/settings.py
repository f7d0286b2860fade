"""Agent settings (MESH_CHAT_AGENT_*, MESH_CHAT_STOCK_*, MESH_CHAT_MCP_*): limits, the market-data provider, MCP."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from services.chat.agents.loop import RunLimits
from services.kit.outbound import OutboundPolicy, parse_networks
from services.kit.settings import MeshSettings


class AgentSettings(MeshSettings):
    """Bounds of every run, where market data comes from, and which extra networks MCP servers may live on."""

    model_config = SettingsConfigDict(env_prefix="MESH_", extra="ignore")

    chat_agent_tool_timeout_s: float = 30.0
    chat_agent_max_run_s: float = 300.0
    chat_agent_max_tokens: int = 200_000
    chat_agent_max_observation_chars: int = 6000
    # "local": a SQLite dataset of daily bars and news that an operator fills (python -m
    # services.chat.agents.stocks.dataset); "akshare": A-share data from akshare (the `akshare` extra).
    chat_stock_provider: Literal["local", "akshare"] = "local"
    chat_stock_dataset: Path | None = None  # default: <data_dir>/chat-stocks.db
    # Comma-separated CIDRs where MCP servers may live although they are not public; link-local and metadata
    # addresses stay refused. Empty: MCP servers must be public, as every user-given URL.
    chat_mcp_networks: str = ""
    chat_mcp_timeout_s: float = 20.0

    @field_validator("chat_mcp_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    def limits(self, *, max_iterations: int) -> RunLimits:
        return RunLimits(
            max_iterations=max_iterations,
            tool_timeout_s=self.chat_agent_tool_timeout_s,
            max_run_s=self.chat_agent_max_run_s,
            max_tokens=self.chat_agent_max_tokens,
            max_observation_chars=self.chat_agent_max_observation_chars,
        )

    def stock_dataset_path(self) -> Path:
        return self.chat_stock_dataset or self.data_dir / "chat-stocks.db"

    def mcp_policy(self) -> OutboundPolicy:
        """The outbound policy of MCP servers: the default one, plus the networks the operator lists."""
        return OutboundPolicy.build(networks=self.chat_mcp_networks)
