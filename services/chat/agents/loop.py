"""The agent loop: call the model with tools, run the calls, feed the results back, until an answer or a limit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from services.chat.agents import react
from services.chat.agents.steps import AgentDelta, Step, ToolCall, ToolCallMerger
from services.chat.agents.toolbox import Observation, ToolBox
from services.chat.generation.prompt import estimate_tokens
from services.chat.generation.upstream import Delta, UpstreamClients
from services.chat.models.registry import ResolvedModel

STRATEGIES = ("function_call", "react")
# Why a run ended, as message_end's finish_reason says it.
LIMIT_NOTICES = {
    "max_iterations": "The agent reached its step limit ({n}) before it had a final answer.",
    "time_limit": "The agent ran out of time before it had a final answer.",
    "token_limit": "The agent used its token budget before it had a final answer.",
}


@dataclass(frozen=True)
class RunLimits:
    """Bounds of one run; every one of them ends the run cleanly, keeping the steps so far."""

    max_iterations: int = 5
    tool_timeout_s: float = 30.0
    max_run_s: float = 300.0
    max_tokens: int = 200_000
    max_observation_chars: int = 6000


@dataclass
class _Turn:
    """One model reply, accumulated from its stream."""

    content: list[str] = field(default_factory=list)
    calls: ToolCallMerger = field(default_factory=ToolCallMerger)
    prompt_tokens: int | None = None
    completion_tokens: int = 0

    def add(self, delta: Delta) -> None:
        if delta.content:
            self.content.append(delta.content)
        if delta.tool_calls:
            self.calls.add(delta.tool_calls)
        if delta.prompt_tokens is not None:
            self.prompt_tokens, self.completion_tokens = delta.prompt_tokens, delta.completion_tokens or 0

    @property
    def text(self) -> str:
        return "".join(self.content)


class AgentLoop:
    """Runs one agent turn over the upstream; yields AgentDeltas (text, reasoning, steps, sources, usage)."""

    def __init__(self, *, upstream: UpstreamClients, toolbox: ToolBox, strategy: str, limits: RunLimits) -> None:
        self.upstream = upstream
        self.toolbox = toolbox
        self.react = strategy == "react" and bool(toolbox)
        self.limits = limits
        self.totals = [0, 0]  # prompt, completion tokens of every step
        self._cited = 0

    def _params(self, params: dict[str, Any], *, last: bool) -> dict[str, Any]:
        if not self.toolbox:
            return params
        if self.react:
            stops = [s for s in params.get("stop") or [] if s != react.OBSERVATION_STOP][:3]
            return {**params, "stop": [*stops, react.OBSERVATION_STOP]}
        # On the last step the model must answer: the tools stay declared (the history holds calls), none may run.
        extra = {"tool_choice": "none"} if last else {"parallel_tool_calls": True}
        return {**params, "tools": self.toolbox.specs(), **extra}

    def _count(self, turn: _Turn, history: list[dict[str, Any]]) -> None:
        if turn.prompt_tokens is not None:
            self.totals[0] += turn.prompt_tokens
            self.totals[1] += turn.completion_tokens
            return
        # An upstream that reports no usage: estimate, so the token cap still holds.
        self.totals[0] += sum(estimate_tokens(orjson.dumps(m).decode()) for m in history)
        self.totals[1] += estimate_tokens(turn.text + "".join(c.arguments for c in turn.calls.calls()))

    async def run(
        self,
        model: ResolvedModel,
        *,
        messages: Sequence[Mapping[str, Any]],
        params: dict[str, Any],
        stop: asyncio.Event,
    ) -> AsyncIterator[AgentDelta]:
        deadline = time.monotonic() + self.limits.max_run_s
        history: list[dict[str, Any]] = [dict(m) for m in messages]
        if self.react:
            history = _with_react_prompt(history, self.toolbox)
        answered = False
        for position in range(1, self.limits.max_iterations + 1):
            last = position == self.limits.max_iterations
            if self.react and last and position > 1:
                history.append({"role": "user", "content": react.FINAL_NOW})
            turn, reason, step = _Turn(), "", Step(position=position)
            final = react.FinalAnswerStream()  # ReAct: the answer streams once "Final Answer:" is seen
            yield AgentDelta(step=step.snapshot())  # the step begins (Nexent step_count)
            try:
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    stream = self.upstream.stream_chat(
                        model, messages=history, params=self._params(params, last=last), stop=stop
                    )
                    async for delta in stream:
                        turn.add(delta)
                        if delta.reasoning:
                            yield AgentDelta(reasoning=delta.reasoning)
                        if delta.content and not self.react:
                            answered = True
                            yield AgentDelta(content=delta.content)
                        elif delta.content and (streamed := final.feed(delta.content)):
                            answered = True
                            yield AgentDelta(content=streamed)
            except TimeoutError:
                reason = "time_limit"
            self._count(turn, history)
            yield AgentDelta(prompt_tokens=self.totals[0], completion_tokens=self.totals[1])
            calls, wanted = self._calls(turn, step, last=last)
            if stop.is_set():
                reason = "stopped"
            elif not reason and calls and sum(self.totals) > self.limits.max_tokens:
                reason = "token_limit"
            elif not reason and not calls and wanted:
                reason = "max_iterations"  # the model still wanted a tool on the last step
            if reason or not calls:
                if self.react and not reason and step.thought != final.sent:
                    # An answer not marked "Final Answer:" (plain text, Dify's JSON blob) comes whole at the end.
                    answered = True
                    yield AgentDelta(content=step.thought.removeprefix(final.sent))
                step.final, step.calls = True, []
                yield AgentDelta(step=step.snapshot(), step_done=True)
                if reason in LIMIT_NOTICES and not answered:
                    yield AgentDelta(content=LIMIT_NOTICES[reason].format(n=self.limits.max_iterations))
                yield AgentDelta(finish_reason=reason or "stop")
                return
            yield AgentDelta(step=step.snapshot())
            observations, ended = await self._run_calls(calls, stop=stop, deadline=deadline)
            step.observations = [o.text for o in observations]
            cited = self._cite(observations)
            if cited:
                yield AgentDelta(resources=cited)
            yield AgentDelta(step=step.snapshot(), step_done=True)
            if ended:
                if not answered and ended in LIMIT_NOTICES:
                    yield AgentDelta(content=LIMIT_NOTICES[ended])
                yield AgentDelta(finish_reason=ended)
                return
            history.extend(self._feedback(turn, step, observations))
        # Unreachable in practice: the last step always ends the run above.
        yield AgentDelta(finish_reason="max_iterations")

    def _calls(self, turn: _Turn, step: Step, *, last: bool) -> tuple[list[ToolCall], bool]:
        """The tool calls of a reply to run (none on the last step), whether the model asked for any, and the
        step's thought (a ReAct final answer is the thought of the final step)."""
        if not self.react:
            step.thought = turn.text
            wanted = turn.calls.calls()
            step.calls = [] if last else wanted
            return step.calls, bool(wanted)
        parsed = react.parse(turn.text)
        if parsed.final_answer is not None or not parsed.action:
            step.thought = parsed.final_answer if parsed.final_answer is not None else turn.text.strip()
            return [], False
        step.thought = parsed.thought
        if last:
            return [], True
        step.calls = [ToolCall(id=f"react_{step.position}", name=parsed.action, arguments=parsed.action_input)]
        return step.calls, True

    async def _run_calls(
        self, calls: list[ToolCall], *, stop: asyncio.Event, deadline: float
    ) -> tuple[list[Observation], str]:
        """Every call in parallel; a stop or the run's deadline cancels what is still running."""
        tasks = [asyncio.create_task(self.toolbox.call(c.name, c.arguments)) for c in calls]
        everything: asyncio.Future[Any] = asyncio.gather(*tasks)
        stopped: asyncio.Future[Any] = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait(
                {everything, stopped},
                timeout=max(0.0, deadline - time.monotonic()),
                return_when=asyncio.FIRST_COMPLETED,
            )
            finished = everything.done()
        finally:
            stopped.cancel()
            for task in tasks:
                task.cancel()
            await asyncio.gather(everything, return_exceptions=True)
        ended = "" if finished else ("stopped" if stop.is_set() else "time_limit")
        unfinished = (
            "not finished: the run was stopped" if ended == "stopped" else "not finished: the run ran out of time"
        )
        observations = [
            t.result() if t.done() and not t.cancelled() else Observation(unfinished, failed=True) for t in tasks
        ]
        return observations, ended

    def _cite(self, observations: list[Observation]) -> list[dict[str, Any]]:
        """Knowledge hits of this step, numbered after those of earlier steps."""
        cited = []
        for observation in observations:
            for resource in observation.resources:
                self._cited += 1
                cited.append({**resource, "position": self._cited})
        return cited

    def _feedback(self, turn: _Turn, step: Step, observations: list[Observation]) -> list[dict[str, Any]]:
        """The messages that give the model its calls' results."""
        if self.react:
            observation = "\n".join(o.text for o in observations)
            return [
                {"role": "assistant", "content": turn.text.strip()},
                {"role": "user", "content": f"{react.OBSERVATION_STOP} {observation}"},
            ]
        assistant = {"role": "assistant", "content": turn.text or None, "tool_calls": [c.message() for c in step.calls]}
        results = [
            {"role": "tool", "tool_call_id": call.id, "content": observation.text}
            for call, observation in zip(step.calls, observations, strict=True)
        ]
        return [assistant, *results]


def _with_react_prompt(history: list[dict[str, Any]], toolbox: ToolBox) -> list[dict[str, Any]]:
    """The ReAct instructions join the system message (or become one)."""
    instructions = react.prompt(catalog=toolbox.catalog(), names=list(toolbox.tools))
    if history and history[0].get("role") == "system":
        return [{**history[0], "content": f"{history[0]['content']}\n\n{instructions}"}, *history[1:]]
    return [{"role": "system", "content": instructions}, *history]
