"""An agent run's steps: tool calls merged from streamed fragments, and the step record every dialect shows."""

from __future__ import annotations

import dataclasses
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from services.chat.generation.upstream import Delta


@dataclass
class ToolCall:
    """One call the model asked for: the provider's call id, the tool and its raw JSON arguments."""

    id: str
    name: str
    arguments: str = ""

    def message(self) -> dict[str, Any]:
        """The call as it goes back to the model inside the assistant message."""
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}

    def parsed_arguments(self) -> Any:
        try:
            return orjson.loads(self.arguments or "{}")
        except orjson.JSONDecodeError:
            return self.arguments


class ToolCallMerger:
    """Merges `delta.tool_calls` fragments by index: the head names the call, later pieces extend its arguments."""

    def __init__(self) -> None:
        self._calls: dict[int, ToolCall] = {}

    def add(self, fragments: list[dict[str, Any]]) -> None:
        for position, fragment in enumerate(fragments):
            index = fragment.get("index")
            index = int(index) if isinstance(index, int) else position
            call = self._calls.setdefault(index, ToolCall(id="", name=""))
            if fragment.get("id"):
                call.id = str(fragment["id"])
            function = fragment.get("function") or {}
            if function.get("name") and not call.name:
                call.name = str(function["name"])
            if function.get("arguments"):
                call.arguments += str(function["arguments"])

    def calls(self) -> list[ToolCall]:
        out = [self._calls[i] for i in sorted(self._calls) if self._calls[i].name]
        for number, call in enumerate(out):
            call.id = call.id or f"call_{number}"
        return out


@dataclass
class Step:
    """One iteration: the model's thought, the calls it made and what each returned."""

    position: int
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    thought: str = ""
    calls: list[ToolCall] = field(default_factory=list)
    observations: list[str] = field(default_factory=list)
    created_at: int = field(default_factory=lambda: int(time.time()))
    final: bool = False

    def snapshot(self) -> Step:
        """A copy that later progress of the run does not change (events are read after the run moves on)."""
        return dataclasses.replace(
            self, calls=[dataclasses.replace(c) for c in self.calls], observations=list(self.observations)
        )

    def _keys(self) -> list[str]:
        """Dify keys tool_input and observation by tool name; a tool called twice gets `name#2`."""
        keys: list[str] = []
        for call in self.calls:
            key, number = call.name, 2
            while key in keys:
                key, number = f"{call.name}#{number}", number + 1
            keys.append(key)
        return keys

    def record(self) -> dict[str, Any]:
        """The step as Dify's agent_thought (tool names joined by ";", inputs and observations keyed by tool)."""
        keys = self._keys()
        observation = ""
        if self.observations:
            observation = orjson.dumps(dict(zip(keys, self.observations, strict=False))).decode()
        return {
            "id": self.id,
            "position": self.position,
            "thought": self.thought,
            "tool": ";".join(keys),
            "tool_input": orjson.dumps(
                {k: c.parsed_arguments() for k, c in zip(keys, self.calls, strict=True)}
            ).decode()
            if self.calls
            else "",
            "observation": observation,
            "message_files": [],
            "created_at": self.created_at,
        }


@dataclass(slots=True)
class AgentDelta(Delta):
    """A Delta of an agent run: besides text it may carry a step (started or finished) and knowledge hits."""

    step: Step | None = None
    step_done: bool = False
    resources: list[dict[str, Any]] | None = None
