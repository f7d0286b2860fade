"""The ReAct parser and the merger of streamed tool-call fragments."""

from __future__ import annotations

import orjson
import pytest

from services.chat.agents import react
from services.chat.agents.steps import Step, ToolCall, ToolCallMerger


def test_an_action_with_its_input_is_a_call() -> None:
    turn = react.parse('Thought: I need the weather.\nAction: forecast\nAction Input: {"city": "Oslo"}\n')
    assert (turn.thought, turn.action, turn.final_answer) == ("I need the weather.", "forecast", None)
    assert orjson.loads(turn.action_input) == {"city": "Oslo"}


def test_the_input_is_the_first_balanced_object_whatever_surrounds_it() -> None:
    text = (
        "Thought: look it up\nAction: `search`\nAction Input: ```json\n"
        '{"q": "a } inside \\" a string", "nested": {"k": [1, 2]}}\n```\nand then some prose'
    )
    turn = react.parse(text)
    assert turn.action == "search"
    assert orjson.loads(turn.action_input) == {"q": 'a } inside " a string', "nested": {"k": [1, 2]}}
    # A string ending in an escaped backslash still ends at its quote.
    path = react.parse('Action: read\nAction Input: {"path": "C:\\\\dir\\\\"} and more')
    assert orjson.loads(path.action_input) == {"path": "C:\\dir\\"}


@pytest.mark.parametrize(
    ("raw", "arguments"),
    [
        ('"Oslo"', {"input": "Oslo"}),
        ("Oslo", {"input": "Oslo"}),
        ("[1, 2]", {"input": [1, 2]}),
        ("", {"input": ""}),
    ],
)
def test_an_input_that_is_not_an_object_is_wrapped(raw: str, arguments: object) -> None:
    turn = react.parse(f"Action: forecast\nAction Input: {raw}")
    assert orjson.loads(turn.action_input) == arguments


def test_an_action_without_an_input_gets_empty_arguments() -> None:
    assert react.parse("Thought: t\nAction: now").action_input == "{}"


def test_the_final_answer_is_everything_after_its_marker() -> None:
    turn = react.parse("Thought: I know it.\nFinal Answer: It is **sunny**.\nEnjoy!")
    assert turn.thought == "I know it." and turn.final_answer == "It is **sunny**.\nEnjoy!" and not turn.action
    assert react.parse("final answer:   lower case works").final_answer == "lower case works"


def test_whichever_comes_first_of_action_and_final_answer_wins() -> None:
    first_final = react.parse("Final Answer: done\nAction: forecast\nAction Input: {}")
    assert first_final.final_answer == "done\nAction: forecast\nAction Input: {}" and not first_final.action
    first_action = react.parse('Action: forecast\nAction Input: {"city": "x"}\nFinal Answer: made up')
    assert first_action.action == "forecast" and first_action.final_answer is None


def test_text_outside_the_format_is_the_final_answer() -> None:
    assert react.parse("Just an answer.") == react.ReactTurn(thought="", final_answer="Just an answer.")
    assert react.parse("Thought: only a thought").final_answer == "only a thought"


def test_difys_json_blob_variant() -> None:
    call = react.parse('Thought: weather\n```json\n{"action": "forecast", "action_input": {"city": "Bergen"}}\n```')
    assert call.thought == "weather" and call.action == "forecast"
    assert orjson.loads(call.action_input) == {"city": "Bergen"}
    final = react.parse('{"action": "Final Answer", "action_input": "It hails."}')
    assert final.final_answer == "It hails." and not final.action
    structured = react.parse('{"action": "final_answer", "action_input": {"a": 1}}')
    assert structured.final_answer == '{"a":1}'
    # JSON that is not a blob is an answer, as is broken JSON.
    assert react.parse('{"city": "Oslo"}').final_answer == '{"city": "Oslo"}'
    assert react.parse('{"action": "x"').final_answer == '{"action": "x"'


def test_the_prompt_lists_the_tools_and_names_them() -> None:
    text = react.prompt(catalog="- forecast: the weather", names=["forecast", "search"])
    assert "- forecast: the weather" in text and "one of [forecast, search]" in text
    assert react.OBSERVATION_STOP == "Observation:"


# --------------------------------------------------------------------------- the tool-call merger
def fragment(index: int | None, *, id: str = "", name: str = "", arguments: str = "") -> dict[str, object]:
    function = {k: v for k, v in (("name", name), ("arguments", arguments)) if v}
    out: dict[str, object] = {"function": function}
    if index is not None:
        out["index"] = index
    if id:
        out["id"] = id
    return out


def test_fragments_merge_by_index_into_whole_calls_in_index_order() -> None:
    merger = ToolCallMerger()
    merger.add([fragment(1, id="call_b", name="search", arguments='{"q": ')])
    merger.add([fragment(0, id="call_a", name="forecast", arguments="")])
    merger.add([fragment(0, arguments='{"city": "Os'), fragment(1, arguments='"tea"}')])
    merger.add([fragment(0, arguments='lo"}')])
    calls = merger.calls()
    assert [(c.id, c.name, c.arguments) for c in calls] == [
        ("call_a", "forecast", '{"city": "Oslo"}'),
        ("call_b", "search", '{"q": "tea"}'),
    ]


def test_a_repeated_name_does_not_rename_the_call_and_missing_ids_are_made_up() -> None:
    merger = ToolCallMerger()
    merger.add([fragment(0, name="forecast", arguments="{}")])
    merger.add([fragment(0, name="forecast")])  # some servers repeat the name in every piece
    merger.add([fragment(None, name="search", arguments="{}")])  # no index: its position in the list
    calls = merger.calls()
    assert [(c.id, c.name) for c in calls] == [("call_0", "forecast")]
    nameless = ToolCallMerger()
    nameless.add([fragment(0, arguments='{"x": 1}')])
    assert nameless.calls() == []  # arguments without a name are never a call


def test_a_call_goes_back_to_the_model_as_the_openai_message_shape() -> None:
    call = ToolCall(id="call_1", name="forecast", arguments='{"city": "Oslo"}')
    assert call.message() == {
        "id": "call_1",
        "type": "function",
        "function": {"name": "forecast", "arguments": '{"city": "Oslo"}'},
    }
    assert ToolCall(id="c", name="n", arguments="not json").parsed_arguments() == "not json"


def test_a_step_records_as_difys_agent_thought_with_repeated_tools_keyed_apart() -> None:
    step = Step(position=2, thought="two lookups")
    step.calls = [ToolCall("a", "search", '{"q": "x"}'), ToolCall("b", "search", '{"q": "y"}')]
    step.observations = ["found x", "found y"]
    record = step.record()
    assert record["tool"] == "search;search#2" and record["position"] == 2
    assert orjson.loads(record["tool_input"]) == {"search": {"q": "x"}, "search#2": {"q": "y"}}
    assert orjson.loads(record["observation"]) == {"search": "found x", "search#2": "found y"}
    snapshot = step.snapshot()
    step.observations.append("later")
    assert snapshot.observations == ["found x", "found y"]


# --------------------------------------------------------------------------- a ReAct final answer, streamed
REPLIES = [
    "Thought: I know it.\nFinal Answer:  It is **sunny** in Oslo.\n\nEnjoy the day!  \n",
    "Final Answer: 42",
    'Thought: look up\nAction: forecast\nAction Input: {"q": "Final Answer: no"}',
    "Thought: hmm\nFinal Answer:\n\n  spaced   out  \n",
    "No format at all.",
]


@pytest.mark.parametrize("reply", REPLIES)
@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_a_streamed_final_answer_adds_up_to_the_parsed_one(reply: str, size: int) -> None:
    stream = react.FinalAnswerStream()
    pieces = [stream.feed(reply[i : i + size]) for i in range(0, len(reply), size)]
    parsed = react.parse(reply)
    streamed = "".join(pieces)
    if parsed.action or "Final Answer" not in reply:
        assert streamed == "" and stream.sent == ""
    else:
        assert streamed == parsed.final_answer == stream.sent


def test_the_answer_streams_as_soon_as_the_marker_is_seen() -> None:
    stream = react.FinalAnswerStream()
    assert [stream.feed(p) for p in ("Thought: ok\nFinal Ans", "wer: Par", "is", " is", " big", "\n")] == [
        "",
        "Par",
        "is",
        " is",
        " big",
        "",
    ]
