"""The agent loop against the scripted upstream: streamed tool calls, parallel calls, ReAct, limits and stops."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest

from services.chat.agents.loop import AgentLoop, RunLimits
from services.chat.agents.steps import AgentDelta, Step
from services.chat.agents.toolbox import Tool, ToolBox, ToolFailure, ToolResult, schema
from services.chat.generation.upstream import UpstreamClients
from services.chat.models.registry import ResolvedModel
from services.kit.outbound import OutboundPolicy
from services.kit.testing.openai_upstream import Script, ScriptedUpstream, ToolCallScript


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream(models=("agent-model",)) as running:
        yield running


@pytest.fixture
def upstream(server: ScriptedUpstream) -> Iterator[ScriptedUpstream]:
    server.reset()
    yield server
    server.reset()


def model(server: ScriptedUpstream) -> ResolvedModel:
    return ResolvedModel("agent-model", server.base_url, "key", 8192, "entry")


def clients() -> UpstreamClients:
    return UpstreamClients(timeout_s=10, connect_timeout_s=5, policy=OutboundPolicy.build(networks="127.0.0.0/8"))


class Calls:
    """Tools that record what they were called with."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.release = asyncio.Event()

    def tool(self, name: str, answer: str = "", *, fail: str = "", crash: bool = False, hang: bool = False) -> Tool:
        async def run(args: dict[str, Any]) -> ToolResult:
            self.seen.append((name, args))
            if hang:
                await asyncio.Event().wait()
            if fail:
                raise ToolFailure(fail)
            if crash:
                raise RuntimeError("boom")
            return ToolResult(answer.format(**args))

        return Tool(name, f"the {name} tool", schema({"city": {"type": "string"}}, []), run)


async def run_loop(
    server: ScriptedUpstream,
    tools: list[Tool],
    *,
    strategy: str = "function_call",
    limits: RunLimits | None = None,
    stop: asyncio.Event | None = None,
    max_output_chars: int = 6000,
) -> list[AgentDelta]:
    box = ToolBox(tools, timeout_s=(limits or RunLimits()).tool_timeout_s, max_output_chars=max_output_chars)
    loop = AgentLoop(upstream=clients(), toolbox=box, strategy=strategy, limits=limits or RunLimits())
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "weather?"}]
    out = []
    async for delta in loop.run(model(server), messages=messages, params={}, stop=stop or asyncio.Event()):
        out.append(delta)
    return out


async def until(check: Callable[[], object], *, timeout_s: float = 10.0) -> None:
    """Wait for a condition with a deadline (the loop's state has no event to wait on)."""
    async with asyncio.timeout(timeout_s):
        while not check():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def finished_steps(deltas: list[AgentDelta]) -> list[Step]:
    return [d.step for d in deltas if d.step is not None and d.step_done]


def text(deltas: list[AgentDelta]) -> str:
    return "".join(d.content for d in deltas)


async def test_streamed_split_arguments_reach_the_tool_and_the_observation_the_model(
    upstream: ScriptedUpstream,
) -> None:
    calls = Calls()
    upstream.push(
        Script(chunks=[], tool_calls=[ToolCallScript("weather", '{"city": "Oslo"}', pieces=5)], prompt_tokens=7),
        Script(chunks=["It is ", "{observation}"], prompt_tokens=20),
    )
    deltas = await run_loop(upstream, [calls.tool("weather", "sunny in {city}")])
    assert calls.seen == [("weather", {"city": "Oslo"})]
    second = upstream.chat_requests()[1].body
    assert second["messages"][-1] == {"role": "tool", "tool_call_id": "call_0_weather", "content": "sunny in Oslo"}
    assert second["messages"][-2]["tool_calls"][0]["function"] == {"name": "weather", "arguments": '{"city": "Oslo"}'}
    assert upstream.chat_requests()[0].body["tools"][0]["function"]["name"] == "weather"
    assert text(deltas) == "It is sunny in Oslo"
    steps = finished_steps(deltas)
    assert [s.position for s in steps] == [1, 2] and steps[1].final
    record = steps[0].record()
    assert record["tool"] == "weather" and orjson.loads(record["tool_input"]) == {"weather": {"city": "Oslo"}}
    assert orjson.loads(record["observation"]) == {"weather": "sunny in Oslo"}
    usage = [d for d in deltas if d.prompt_tokens is not None][-1]
    assert usage.prompt_tokens == 27 and deltas[-1].finish_reason == "stop"


async def test_parallel_calls_interleaved_are_merged_by_index_and_run_together(upstream: ScriptedUpstream) -> None:
    calls = Calls()
    upstream.push(
        Script(
            chunks=[],
            interleave=True,
            tool_calls=[
                ToolCallScript("weather", '{"city": "Oslo"}', pieces=4),
                ToolCallScript("weather", '{"city": "Lima"}', pieces=2),
                ToolCallScript("time", '{"city": "Lima"}', pieces=3),
            ],
        ),
        Script(chunks=["done"]),
    )
    deltas = await run_loop(upstream, [calls.tool("weather", "sun in {city}"), calls.tool("time", "noon in {city}")])
    assert sorted(calls.seen, key=str) == sorted(
        [("weather", {"city": "Oslo"}), ("weather", {"city": "Lima"}), ("time", {"city": "Lima"})], key=str
    )
    tool_messages = [m for m in upstream.chat_requests()[1].body["messages"] if m["role"] == "tool"]
    assert [m["content"] for m in tool_messages] == ["sun in Oslo", "sun in Lima", "noon in Lima"]
    record = finished_steps(deltas)[0].record()
    assert record["tool"] == "weather;weather#2;time"
    assert upstream.chat_requests()[0].body["parallel_tool_calls"] is True


async def test_react_text_protocol(upstream: ScriptedUpstream) -> None:
    calls = Calls()
    upstream.push(
        Script(chunks=["Thought: I should look.\n", "Action: weather\n", 'Action Input: {"city": ', '"Rome"}']),
        Script(chunks=["Thought: I know the final answer\nFinal Answer: ", "Rome is {observation}"]),
    )
    deltas = await run_loop(upstream, [calls.tool("weather", "warm in {city}")], strategy="react")
    assert calls.seen == [("weather", {"city": "Rome"})]
    first = upstream.chat_requests()[0].body
    assert "tools" not in first and first["stop"] == ["Observation:"]
    assert "Action Input:" in first["messages"][0]["content"] and "weather" in first["messages"][0]["content"]
    assert upstream.chat_requests()[1].body["messages"][-1] == {"role": "user", "content": "Observation: warm in Rome"}
    assert text(deltas) == "Rome is warm in Rome"
    steps = finished_steps(deltas)
    assert steps[0].thought == "I should look." and steps[0].calls[0].name == "weather"


async def test_a_react_final_answer_streams_piece_by_piece_while_the_model_writes_it(
    upstream: ScriptedUpstream,
) -> None:
    calls = Calls()
    upstream.push(
        Script(chunks=["Thought: check\n", "Action: weather\n", 'Action Input: {"city": "Oslo"}']),
        Script(chunks=["Thought: done\nFinal ", "Answer: It ", "is ", "{observation}", ".\n"]),
    )
    deltas = await run_loop(upstream, [calls.tool("weather", "sunny")], strategy="react")
    pieces = [d.content for d in deltas if d.content]
    assert pieces == ["It", " is", " sunny", "."]  # as the model wrote them, the marker and thought left out
    # Every piece came before the turn's usage, i.e. while the upstream was still streaming.
    usage_at = max(i for i, d in enumerate(deltas) if d.prompt_tokens is not None)
    assert max(i for i, d in enumerate(deltas) if d.content) < usage_at
    assert finished_steps(deltas)[-1].thought == "It is sunny."
    # An answer without the marker still comes, whole, at the end.
    upstream.push(Script(chunks=["Just ", "an answer."]))
    assert [
        d.content for d in await run_loop(upstream, [calls.tool("weather", "x")], strategy="react") if d.content
    ] == ["Just an answer."]


async def test_max_iteration_ends_with_a_last_call_that_may_not_use_tools(upstream: ScriptedUpstream) -> None:
    calls = Calls()
    upstream.default = Script(chunks=[], tool_calls=[ToolCallScript("weather", '{"city": "Oslo"}')])
    deltas = await run_loop(upstream, [calls.tool("weather", "sun")], limits=RunLimits(max_iterations=3))
    requests = upstream.chat_requests()
    assert len(requests) == 3 and len(calls.seen) == 2
    assert requests[-1].body["tool_choice"] == "none"
    assert deltas[-1].finish_reason == "max_iterations"
    assert "step limit (3)" in text(deltas)


async def test_failing_crashing_unknown_and_bad_argument_calls_become_observations(upstream: ScriptedUpstream) -> None:
    calls = Calls()
    upstream.push(
        Script(
            chunks=[],
            tool_calls=[
                ToolCallScript("quote", "{}"),
                ToolCallScript("crash", "{}"),
                ToolCallScript("nope", "{}"),
                ToolCallScript("quote", '{"city": '),
            ],
        ),
        Script(chunks=["sorry"]),
    )
    tools = [calls.tool("quote", fail="no market data for X"), calls.tool("crash", crash=True)]
    deltas = await run_loop(upstream, tools)
    results = [m["content"] for m in upstream.chat_requests()[1].body["messages"] if m["role"] == "tool"]
    assert results[0] == "error: no market data for X"
    assert results[1] == "error: crash failed (RuntimeError)"
    assert results[2].startswith("error: there is no tool named 'nope'")
    assert results[3].startswith("error: the arguments for quote are not valid JSON")
    assert text(deltas) == "sorry" and deltas[-1].finish_reason == "stop"


async def test_a_hanging_tool_times_out_and_the_run_goes_on(upstream: ScriptedUpstream) -> None:
    calls = Calls()
    upstream.push(Script(chunks=[], tool_calls=[ToolCallScript("slow", "{}")]), Script(chunks=["gave up on slow"]))
    deltas = await run_loop(upstream, [calls.tool("slow", hang=True)], limits=RunLimits(tool_timeout_s=0.3))
    results = [m["content"] for m in upstream.chat_requests()[1].body["messages"] if m["role"] == "tool"]
    assert results == ["error: slow did not finish within 0.3 s"]
    assert text(deltas) == "gave up on slow"


async def test_tool_output_is_cut_to_the_budget(upstream: ScriptedUpstream) -> None:
    calls = Calls()
    upstream.push(Script(chunks=[], tool_calls=[ToolCallScript("big", "{}")]), Script(chunks=["ok"]))
    await run_loop(upstream, [calls.tool("big", "x" * 5000)], max_output_chars=100)
    result = next(m["content"] for m in upstream.chat_requests()[1].body["messages"] if m["role"] == "tool")
    assert result.startswith("x" * 100) and "truncated: 4900 more characters" in result and len(result) < 150


async def test_stop_during_a_tool_call_ends_the_run_keeping_the_step(upstream: ScriptedUpstream) -> None:
    calls = Calls()
    stop = asyncio.Event()
    upstream.push(Script(chunks=["Let me check. "], tool_calls=[ToolCallScript("slow", "{}")]))

    async def stop_when_called() -> None:
        await until(lambda: calls.seen)
        stop.set()

    stopper = asyncio.create_task(stop_when_called())
    deltas = await run_loop(upstream, [calls.tool("slow", hang=True)], stop=stop)
    await stopper
    assert len(upstream.chat_requests()) == 1
    steps = finished_steps(deltas)
    assert steps[0].thought == "Let me check. " and steps[0].observations == ["not finished: the run was stopped"]
    assert deltas[-1].finish_reason == "stopped"


async def test_stop_during_the_model_call_closes_the_upstream(upstream: ScriptedUpstream) -> None:
    stop = asyncio.Event()
    upstream.push(Script(chunks=[f"t{i} " for i in range(200)], delay_s=0.02))

    async def stop_after_text() -> None:
        await until(lambda: upstream.chat_requests() and upstream.chat_requests()[0].chunks_sent >= 3)
        stop.set()

    stopper = asyncio.create_task(stop_after_text())
    deltas = await run_loop(upstream, [Calls().tool("unused")], stop=stop)
    await stopper
    assert deltas[-1].finish_reason == "stopped" and text(deltas).startswith("t0 t1 ")
    record = upstream.chat_requests()[0]
    await until(lambda: record.cancelled or record.finished)
    assert record.cancelled


async def test_the_token_cap_ends_the_run_before_more_tools_run(upstream: ScriptedUpstream) -> None:
    calls = Calls()
    upstream.default = Script(chunks=[], tool_calls=[ToolCallScript("weather", "{}")], prompt_tokens=600)
    deltas = await run_loop(upstream, [calls.tool("weather", "sun")], limits=RunLimits(max_tokens=1000))
    assert len(upstream.chat_requests()) == 2 and len(calls.seen) == 1
    assert deltas[-1].finish_reason == "token_limit" and "token budget" in text(deltas)


async def test_the_run_time_cap_ends_a_hanging_model_call(upstream: ScriptedUpstream) -> None:
    upstream.push(Script(chunks=["late"], hang_s=5))
    deltas = await run_loop(upstream, [Calls().tool("unused")], limits=RunLimits(max_run_s=0.5))
    assert deltas[-1].finish_reason == "time_limit" and "ran out of time" in text(deltas)


async def test_cancelling_the_run_cancels_a_running_tool(upstream: ScriptedUpstream) -> None:
    calls = Calls()
    cancelled = asyncio.Event()

    async def slow(args: dict[str, Any]) -> ToolResult:
        calls.seen.append(("slow", args))
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        raise AssertionError("unreachable")

    upstream.push(Script(chunks=[], tool_calls=[ToolCallScript("slow", "{}")]))
    task = asyncio.create_task(run_loop(upstream, [Tool("slow", "slow", schema({}, []), slow)]))
    await until(lambda: calls.seen)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled.is_set()
