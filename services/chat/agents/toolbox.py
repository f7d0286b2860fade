"""Tools an agent can call, and the one place they run: per-tool timeouts, output budgets, errors as observations."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import structlog

from services.kit.errors import MeshError

log = structlog.get_logger(__name__)


class ToolFailure(Exception):
    """A tool's own failure, worded for the model (e.g. "no market data for 600000"); becomes the observation."""


@dataclass
class ToolResult:
    """What a tool returns: text for the model, plus knowledge hits to cite (retriever_resources)."""

    text: str
    resources: list[dict[str, Any]] = field(default_factory=list)


Handler = Callable[[dict[str, Any]], Awaitable[ToolResult]]


@dataclass
class Tool:
    """One callable tool: its OpenAI function schema and the coroutine that runs it."""

    name: str
    description: str
    parameters: dict[str, Any]
    handler: Handler
    timeout_s: float | None = None  # None = the run's default tool timeout
    label: str = ""  # what the tool is called in step logs (MCP tools: server/tool)

    def spec(self) -> dict[str, Any]:
        """The OpenAI `tools` entry."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


@dataclass
class Observation:
    """The outcome of one tool call as the model will read it."""

    text: str
    resources: list[dict[str, Any]] = field(default_factory=list)
    failed: bool = False
    elapsed_s: float = 0.0


def schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """A JSON-schema object for a tool's parameters."""
    return {"type": "object", "properties": properties, "required": required}


def truncate(text: str, budget: int) -> str:
    """Text cut to `budget` characters, saying how much was left out."""
    if len(text) <= budget:
        return text
    return f"{text[:budget]}\n…[truncated: {len(text) - budget} more characters]"


class ToolBox:
    """The tools of one run; `call` never raises for a tool's own failure, it answers an observation."""

    def __init__(self, tools: list[Tool], *, timeout_s: float, max_output_chars: int) -> None:
        self.tools = {tool.name: tool for tool in tools}
        self.timeout_s = timeout_s
        self.max_output_chars = max_output_chars

    def __bool__(self) -> bool:
        return bool(self.tools)

    def specs(self) -> list[dict[str, Any]]:
        return [tool.spec() for tool in self.tools.values()]

    def catalog(self) -> str:
        """The tools as the ReAct prompt lists them."""
        return "\n".join(
            f"- {t.name}: {t.description} Input: {orjson.dumps(t.parameters).decode()}" for t in self.tools.values()
        )

    async def call(self, name: str, arguments: str) -> Observation:
        """Run one call with its timeout; unknown tools, bad arguments, errors and timeouts are observations."""
        started = time.perf_counter()
        tool = self.tools.get(name)
        if tool is None:
            known = ", ".join(self.tools) or "none"
            return Observation(f"error: there is no tool named {name!r}; the tools are: {known}", failed=True)
        try:
            args = orjson.loads(arguments or "{}")
        except orjson.JSONDecodeError:
            return Observation(f"error: the arguments for {name} are not valid JSON: {arguments[:200]}", failed=True)
        if not isinstance(args, dict):
            return Observation(f"error: the arguments for {name} must be a JSON object", failed=True)
        timeout_s = tool.timeout_s or self.timeout_s
        try:
            async with asyncio.timeout(timeout_s):
                result = await tool.handler(args)
        except TimeoutError:
            log.info("agent_tool_timeout", tool=name, timeout_s=timeout_s)
            return self._failed(f"error: {name} did not finish within {timeout_s:g} s", started)
        except ToolFailure as failure:
            return self._failed(f"error: {failure}", started)
        except MeshError as error:
            return self._failed(f"error: {name} failed: {error.message}", started)
        except Exception as error:  # a tool's bug must not end the run: the model hears about it and goes on
            log.warning("agent_tool_crashed", tool=name, exc_info=True)
            return self._failed(f"error: {name} failed ({type(error).__name__})", started)
        return Observation(
            truncate(result.text, self.max_output_chars),
            resources=result.resources,
            elapsed_s=round(time.perf_counter() - started, 4),
        )

    def _failed(self, text: str, started: float) -> Observation:
        return Observation(truncate(text, self.max_output_chars), failed=True, elapsed_s=time.perf_counter() - started)
