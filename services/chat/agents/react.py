"""The ReAct text protocol for models without tool calling: Thought / Action / Action Input / Observation."""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson

REACT_PROMPT = """Answer the user as helpfully and accurately as you can. You can use these tools:
{tools}

Use exactly this format:

Thought: what you think about the question and what to do next
Action: the tool to use, one of [{names}]
Action Input: the tool's input as one JSON object

The tool's result then comes back to you as "Observation: ...". Repeat Thought / Action / Action Input as often as
you need. When you know the answer, write:

Thought: I know the final answer
Final Answer: the answer for the user"""
FINAL_NOW = "You have no steps left. Write the Final Answer now from what you have."
OBSERVATION_STOP = "Observation:"
_FINAL = re.compile(r"Final Answer\s*:\s*", re.IGNORECASE)
_ACTION = re.compile(r"Action\s*:\s*(.+?)\s*(?:\n|$)", re.IGNORECASE)
_ACTION_INPUT = re.compile(r"Action\s*Input\s*:\s*", re.IGNORECASE)
_THOUGHT = re.compile(r"^\s*Thought\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class ReactTurn:
    """What one ReAct reply says: a thought, and either an action with its input or a final answer."""

    thought: str
    action: str = ""
    action_input: str = ""
    final_answer: str | None = None


class FinalAnswerStream:
    """Finds "Final Answer:" in a ReAct reply as it streams and passes on what follows, piece by piece.

    What it passes on adds up to parse(reply).final_answer: nothing before the marker (nor when an Action comes
    first), no leading whitespace, and trailing whitespace only once more text follows it.
    """

    def __init__(self) -> None:
        self._seen: list[str] = []
        self._started = False
        self._held = ""  # whitespace that is only passed on if more text follows
        self.sent = ""

    def feed(self, piece: str) -> str:
        """The part of the final answer this piece completes ("" before the marker, or after an Action)."""
        if not self._started:
            self._seen.append(piece)
            text = "".join(self._seen)
            final = _FINAL.search(text)
            action = _ACTION.search(text)
            if final is None or (action is not None and action.start() < final.start()):
                return ""
            self._started, self._seen = True, []
            piece = text[final.end() :]
        pending = self._held + piece
        body = pending.rstrip()
        if not self.sent:
            body = body.lstrip()  # the answer starts at its first visible character
        if not body:
            self._held = pending if self.sent else ""
            return ""
        self._held = pending[len(pending.rstrip()) :]
        self.sent += body
        return body


def prompt(*, catalog: str, names: list[str]) -> str:
    return REACT_PROMPT.format(tools=catalog, names=", ".join(names))


def _json_object(text: str) -> str:
    """The first balanced JSON object in text (fences and trailing prose dropped), or the text as it is."""
    start = text.find("{")
    if start < 0:
        return text.strip()
    depth, in_string, escaped = 0, False, False
    for position in range(start, len(text)):
        char = text[position]
        if in_string:
            if escaped:  # the character after a backslash never ends the string
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start : position + 1]
    return text[start:].strip()


def parse(text: str) -> ReactTurn:
    """Read one ReAct reply; text that follows no part of the format is taken as the final answer."""
    final = _FINAL.search(text)
    action = _ACTION.search(text)
    if final and (not action or final.start() < action.start()):
        return ReactTurn(thought=_thought(text[: final.start()]), final_answer=text[final.end() :].strip())
    if action:
        name = action.group(1).strip().strip("`'\"")
        after = text[action.end() :]
        found = _ACTION_INPUT.search(after)
        raw = _json_object(after[found.end() :]) if found else "{}"
        return ReactTurn(thought=_thought(text[: action.start()]), action=name, action_input=_arguments(raw))
    blob = _blob(text)
    if blob is not None:
        return blob
    return ReactTurn(thought="", final_answer=_THOUGHT.sub("", text).strip())


def _thought(text: str) -> str:
    return _THOUGHT.sub("", text).strip()


def _arguments(raw: str) -> str:
    """Action Input as a JSON object's text; a bare string becomes {"input": ...}."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return orjson.dumps({"input": raw.strip().strip('"')}).decode()
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return orjson.dumps({"input": value}).decode()


def _blob(text: str) -> ReactTurn | None:
    """Dify's variant: a JSON blob {"action": ..., "action_input": ...} (action "Final Answer" ends the run)."""
    if "{" not in text:
        return None
    try:
        value = orjson.loads(_json_object(text))
    except orjson.JSONDecodeError:
        return None
    if not isinstance(value, dict) or "action" not in value:
        return None
    thought = _thought(text[: text.find("{")].replace("```json", "").replace("```", ""))
    action_input = value.get("action_input", {})
    if str(value["action"]).lower().replace("_", " ") == "final answer":
        answer = action_input if isinstance(action_input, str) else orjson.dumps(action_input).decode()
        return ReactTurn(thought=thought, final_answer=answer)
    raw = action_input if isinstance(action_input, str) else orjson.dumps(action_input).decode()
    return ReactTurn(thought=thought, action=str(value["action"]), action_input=_arguments(raw))
