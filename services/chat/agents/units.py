"""Nexent process units of an agent run, live (RunAgent frames) and stored (the answer in a conversation's history).

A step begins with `step_count`; the model's reasoning streams as `model_output_thinking`; each tool call is a
`model_output_code` unit (`name(arguments)`), its result an `execution_logs` unit; knowledge hits are `search_content`
(JSON: title, text, score, source); the answer is `final_answer`. With tools, the text of a step streams as thinking
(it may turn out to be a thought before a call) and the final step's text is sent whole as `final_answer`; without
tools there are no thoughts, so the answer streams token by token as `final_answer`.
"""

from __future__ import annotations

from typing import Any

import orjson

from services.chat.agents.steps import Step


def code(step: Step) -> list[tuple[str, str]]:
    return [("model_output_code", f"{call.name}({call.arguments or '{}'})") for call in step.calls]


def logs(step: Step) -> list[tuple[str, str]]:
    return [
        ("execution_logs", f"{call.name}: {observation}")
        for call, observation in zip(step.calls, step.observations, strict=False)
    ]


def search_content(resources: list[dict[str, Any]]) -> str:
    """Knowledge hits as Nexent's search_content JSON."""
    return orjson.dumps(
        [
            {
                "title": r.get("title") or r.get("document_name", ""),
                "text": r.get("content", ""),
                "score": r.get("score", 0.0),
                "source": r.get("dataset_name") or r.get("dataset_id", ""),
                "source_type": r.get("source_type") or "file",
                "filename": r.get("document_name", ""),
                "url": r.get("url", ""),
            }
            for r in resources
        ]
    ).decode()


class LiveUnits:
    """Turns one run's stream events into Nexent units as they happen."""

    def __init__(self, *, has_tools: bool) -> None:
        self.has_tools = has_tools

    def step(self, step: Step, *, done: bool) -> list[tuple[str, str]]:
        if not done and not step.calls:
            return [("step_count", f"步骤 {step.position}")]
        if not done:
            return code(step)
        if step.final:
            return [("final_answer", step.thought)] if self.has_tools and step.thought else []
        return logs(step)

    def text(self, text: str) -> tuple[str, str]:
        return ("model_output_thinking" if self.has_tools else "final_answer", text)


def stored_steps(steps: list[Step], *, origin: str, answer: str, reasoning: str) -> dict[str, Any]:
    """What a message keeps of its steps: Dify agent_thoughts always, Nexent units for Nexent answers."""
    finished = [s for s in steps if s.calls or s.final or s.thought]
    out: dict[str, Any] = {"agent_thoughts": [s.record() for s in finished]}
    if origin != "nexent":
        return out
    units: list[tuple[str, str]] = [("model_output_thinking", reasoning)] if reasoning else []
    for step in finished:
        units.append(("step_count", f"步骤 {step.position}"))
        if step.final:
            units.append(("final_answer", step.thought or answer))
            continue
        if step.thought:
            units.append(("model_output_thinking", step.thought))
        units.extend(code(step))
        units.extend(logs(step))
    if not any(kind == "final_answer" for kind, _ in units) and answer:
        units.append(("final_answer", answer))
    out["agent_units"] = [{"type": kind, "content": content} for kind, content in units]
    return out
