"""Nexent process units of an agent run, live (RunAgent frames) and stored (the answer in a conversation's history).

A step begins with `step_count`; the model's reasoning streams as `model_output_thinking`; each tool call is a
`model_output_code` unit (`name(arguments)`), its result an `execution_logs` unit; knowledge hits are `search_content`
(JSON: title, text, score, source); the answer streams token by token as `final_answer`.
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
    """Turns one run's stream events into Nexent units as they happen.

    The answer streams token by token as `final_answer`, with tools or without: the model's text is the answer the
    message keeps (as Dify's agent_message). ReAct thoughts never stream as text, so with `show_thoughts` a step's
    thought is sent as `model_output_thinking` once its calls are known.
    """

    def __init__(self, *, show_thoughts: bool = False) -> None:
        self.show_thoughts = show_thoughts

    def step(self, step: Step, *, done: bool) -> list[tuple[str, str]]:
        if not done and not step.calls:
            return [("step_count", f"步骤 {step.position}")]
        if not done:
            thought = [("model_output_thinking", step.thought)] if self.show_thoughts and step.thought else []
            return thought + code(step)
        return [] if step.final else logs(step)

    def text(self, text: str) -> tuple[str, str]:
        return ("final_answer", text)


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
