"""Nexent process units of an agent run: live frames per stream event, stored units, search_content JSON."""

from __future__ import annotations

import orjson

from services.chat.agents.steps import Step, ToolCall
from services.chat.agents.units import LiveUnits, search_content, stored_steps


def called(position: int = 1, thought: str = "") -> Step:
    step = Step(position=position, thought=thought)
    step.calls = [ToolCall("c1", "forecast", '{"city": "Oslo"}'), ToolCall("c2", "knowledge_search", "")]
    return step


def test_a_steps_frames_as_it_begins_calls_and_ends() -> None:
    live = LiveUnits()
    assert live.step(Step(position=3), done=False) == [("step_count", "步骤 3")]
    step = called(thought="I will look it up")
    assert live.step(step, done=False) == [
        ("model_output_code", 'forecast({"city": "Oslo"})'),
        ("model_output_code", "knowledge_search({})"),
    ]
    step.observations = ["hail", "error: nothing found"]
    assert live.step(step, done=True) == [
        ("execution_logs", "forecast: hail"),
        ("execution_logs", "knowledge_search: error: nothing found"),
    ]
    final = Step(position=2, thought="It hails.", final=True)
    assert live.step(final, done=True) == []  # the answer already streamed as final_answer


def test_the_answer_streams_as_final_answer_and_react_thoughts_show_once_calls_are_known() -> None:
    assert LiveUnits().text("It ") == ("final_answer", "It ")
    react = LiveUnits(show_thoughts=True)
    step = called(thought="I need the forecast")
    assert react.step(step, done=False)[0] == ("model_output_thinking", "I need the forecast")
    assert react.step(called(), done=False)[0][0] == "model_output_code"  # no empty thought


def test_stored_units_for_nexent_answers_and_agent_thoughts_for_all() -> None:
    first = called(thought="checking")
    first.observations = ["hail", "no passage"]
    empty = Step(position=2)  # a step that began and was cut before anything happened is not stored
    final = Step(position=3, thought="It hails.", final=True)
    stored = stored_steps([first, empty, final], origin="nexent", answer="It hails.", reasoning="hmm")
    assert [t["position"] for t in stored["agent_thoughts"]] == [1, 3]
    assert [(u["type"], u["content"]) for u in stored["agent_units"]] == [
        ("model_output_thinking", "hmm"),
        ("step_count", "步骤 1"),
        ("model_output_thinking", "checking"),
        ("model_output_code", 'forecast({"city": "Oslo"})'),
        ("model_output_code", "knowledge_search({})"),
        ("execution_logs", "forecast: hail"),
        ("execution_logs", "knowledge_search: no passage"),
        ("step_count", "步骤 3"),
        ("final_answer", "It hails."),
    ]
    assert "agent_units" not in stored_steps([first, final], origin="dify", answer="x", reasoning="")


def test_a_stopped_run_keeps_its_answer_as_the_last_unit() -> None:
    first = called()
    first.observations = ["hail"]  # the second call was cut by the stop
    stored = stored_steps([first], origin="nexent", answer="partial", reasoning="")
    units = [(u["type"], u["content"]) for u in stored["agent_units"]]
    assert units[-2:] == [("execution_logs", "forecast: hail"), ("final_answer", "partial")]


def test_search_content_is_nexents_json() -> None:
    hits = [
        {
            "title": "boat.txt",
            "content": "teal and gold",
            "score": 0.8,
            "dataset_name": "harbour-kb",
            "document_name": "boat.txt",
        },
        {"document_name": "a.pdf", "content": "x", "dataset_id": "kb2", "source_type": "url", "url": "http://a"},
    ]
    assert orjson.loads(search_content(hits)) == [
        {
            "title": "boat.txt",
            "text": "teal and gold",
            "score": 0.8,
            "source": "harbour-kb",
            "source_type": "file",
            "filename": "boat.txt",
            "url": "",
        },
        {
            "title": "a.pdf",
            "text": "x",
            "score": 0.0,
            "source": "kb2",
            "source_type": "url",
            "filename": "a.pdf",
            "url": "http://a",
        },
    ]
