"""What an agent run may use: strategy, step limit, builtin tools, knowledge bases, files and MCP tools.

Dify apps describe it in `agent_mode` (tools: builtin entries, `dataset` entries, MCP entries) plus `dataset_configs`;
Nexent in its saved config (`data.selectedKbNames`, `tools`); lbai by mark_type (the stock tools).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.chat.agents.toolbox import ToolBox

BUILTIN_TOOLS = ("knowledge_search", "read_file", "web_fetch", "stock_quote", "stock_news", "stock_backtest")
STOCK_TOOLS = ("stock_quote", "stock_news", "stock_backtest")
DEFAULT_MAX_ITERATIONS = 5
# Dify's router strategies are its function-calling and ReAct runners under older names.
_STRATEGIES = {"function_call": "function_call", "router": "function_call", "react": "react", "react_router": "react"}


@dataclass
class AgentPlan:
    """The tools and limits of one run."""

    strategy: str = "function_call"
    max_iterations: int = DEFAULT_MAX_ITERATIONS
    builtin: list[str] = field(default_factory=list)
    indices: list[str] = field(default_factory=list)
    top_k: int = 4
    files: dict[str, str] = field(default_factory=dict)  # file id -> name, for read_file
    mounted: list[str] = field(default_factory=list)  # a mini program's mounted file ids, for knowledge_search
    # MCP tools as (server name, tool name); tool "" = every tool of the server; None = every server of the company.
    mcp: list[tuple[str, str]] | None = field(default_factory=list)
    toolbox: ToolBox | None = None  # built ahead by a caller that needs to know the tools (Nexent frames)


def _enabled(entry: dict[str, Any]) -> bool:
    return entry.get("enabled", True) is not False


def _datasets(config: dict[str, Any]) -> tuple[list[str], int]:
    dataset_configs = config.get("dataset_configs") or {}
    items = (dataset_configs.get("datasets") or {}).get("datasets") or []
    names = [
        str(d["dataset"]["id"])
        for d in items
        if isinstance(d, dict)
        and isinstance(d.get("dataset"), dict)
        and d["dataset"].get("id")
        and _enabled(d["dataset"])
    ]
    return names, int(dataset_configs.get("top_k") or 4)


def plan_from_app_config(config: dict[str, Any]) -> AgentPlan | None:
    """The plan of a Dify agent app, or None when agent mode is off (the turn is an ordinary chat turn)."""
    agent = config.get("agent_mode") or {}
    if not isinstance(agent, dict) or not agent.get("enabled"):
        return None
    plan = AgentPlan(
        strategy=_STRATEGIES.get(str(agent.get("strategy") or "function_call"), "function_call"),
        max_iterations=int(agent.get("max_iteration") or DEFAULT_MAX_ITERATIONS),
    )
    plan.indices, plan.top_k = _datasets(config)
    mcp: list[tuple[str, str]] = []
    for entry in agent.get("tools") or []:
        if not isinstance(entry, dict) or not _enabled(entry):
            continue
        dataset = entry.get("dataset")
        if isinstance(dataset, dict):
            if dataset.get("id") and _enabled(dataset) and str(dataset["id"]) not in plan.indices:
                plan.indices.append(str(dataset["id"]))
            continue
        name = str(entry.get("tool_name") or "")
        if entry.get("provider_type") == "mcp":
            mcp.append((str(entry.get("provider_id") or entry.get("provider_name") or ""), name))
        elif name in BUILTIN_TOOLS and name not in plan.builtin:
            plan.builtin.append(name)
    plan.mcp = mcp
    if plan.indices and "knowledge_search" not in plan.builtin:
        plan.builtin.append("knowledge_search")
    return plan


def plan_from_nexent_config(config: dict[str, Any], *, files: dict[str, str]) -> AgentPlan:
    """Nexent's agent: its selected knowledge bases, the run's files, its enabled tools and the company's MCP tools.

    `tools` (kept as sent by save_config) lists builtin tool names, or objects {"name", "enabled"}; without it the
    agent has only its knowledge bases, the run's files and the company's MCP tools.
    """
    data = config.get("data") or {}
    indices = [str(n) for n in data.get("selectedKbNames") or [] if n]
    listed = config.get("tools")
    if isinstance(listed, list):
        names = [
            str(t.get("name") if isinstance(t, dict) else t) for t in listed if not isinstance(t, dict) or _enabled(t)
        ]
        builtin = [n for n in names if n in BUILTIN_TOOLS]
    else:
        builtin = []
    if indices:
        builtin.append("knowledge_search")
    if files:
        builtin.append("read_file")
    agent = config.get("agent") or {}
    max_iterations = int(agent.get("max_iteration") or DEFAULT_MAX_ITERATIONS) if isinstance(agent, dict) else 5
    return AgentPlan(
        max_iterations=max(1, min(max_iterations, 99)),
        builtin=list(dict.fromkeys(builtin)),
        indices=indices,
        files=files,
        mcp=None,
    )


def stock_plan(*, backtest: bool, mounted: list[str] | None = None) -> AgentPlan:
    """lbai mark_type 900 (analysis) and 901 (backtest): the stock tools, and knowledge_search over the files the
    session's mini program mounts (if any)."""
    tools = ["stock_quote", "stock_news", *(["stock_backtest"] if backtest else [])]
    if mounted:
        tools.append("knowledge_search")
    return AgentPlan(builtin=tools, mounted=list(mounted or []), mcp=[])
