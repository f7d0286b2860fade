"""Short LLM side tasks on a conversation: suggested follow-up questions (Dify) and titles (Nexent)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import orjson

from services.chat.generation.prompt import Turn

SUGGESTION_COUNT = 3
SUGGESTION_PARAMS = {"max_tokens": 256, "temperature": 0}
TITLE_PARAMS = {"max_tokens": 60, "temperature": 0.2}
TITLE_MAX_CHARS = 60
TRANSCRIPT_MAX_CHARS = 6000
# Dify's instruction, so the answers look like Dify's.
SUGGESTION_INSTRUCTION = (
    "Please help me predict the three most likely questions that human would ask, "
    "and keeping each question under 20 characters.\n"
    "MAKE SURE your output is the SAME language as the Assistant's latest response. "
    "The output must be an array in JSON format following the specified schema:\n"
    '["question1","question2","question3"]\n'
)
TITLE_INSTRUCTION = (
    "Write a short title for the conversation below: at most 12 words or 20 Chinese characters, "
    "in the same language as the conversation. Answer with the title only: no quotes, no prefix, "
    "no trailing punctuation."
)
_TITLE_PREFIX = re.compile(r"^\s*(title|标题|題目|主题)\s*[:：]\s*", re.IGNORECASE)
_TITLE_STRIP = "\"'`“”‘’《》「」*#. \t"


def transcript(turns: Sequence[Turn]) -> str:
    """The conversation as `Human:` / `Assistant:` lines, newest kept when it is too long."""
    lines = [f"{'Human' if t.role == 'user' else 'Assistant'}: {t.content.strip()}" for t in turns if t.content.strip()]
    text = "\n".join(lines)
    return text[-TRANSCRIPT_MAX_CHARS:]


def suggestion_messages(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """One user message: the history, Dify's instruction, then `questions:`."""
    return [{"role": "user", "content": f"{transcript(turns)}\n{SUGGESTION_INSTRUCTION}\nquestions:\n"}]


def parse_questions(text: str) -> list[str]:
    """The first JSON array of strings in the answer (code fences and chatter around it are ignored)."""
    candidates = []
    start, end = text.find("["), text.rfind("]")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    candidates.extend(re.findall(r"\[.*?\]", text, re.DOTALL))
    for candidate in candidates:
        try:
            value = orjson.loads(candidate)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, list):
            questions = [item.strip() for item in value if isinstance(item, str) and item.strip()]
            return questions[:SUGGESTION_COUNT]
    return []


def title_messages(turns: Sequence[Turn]) -> list[dict[str, str]]:
    """A system instruction and the transcript to title."""
    return [{"role": "system", "content": TITLE_INSTRUCTION}, {"role": "user", "content": transcript(turns)}]


def clean_title(text: str) -> str:
    """The first line of the answer without quotes, a `Title:` prefix or trailing punctuation."""
    line = next((part for part in text.splitlines() if part.strip()), "")
    line = _TITLE_PREFIX.sub("", line).strip(_TITLE_STRIP).rstrip("。!！?？")
    return line[:TITLE_MAX_CHARS].strip()


def fallback_title(turns: Sequence[Turn]) -> str:
    """The first user message, shortened, for when the model gives nothing usable."""
    first = next((t.content for t in turns if t.role == "user" and t.content.strip()), "")
    return " ".join(first.split())[:20]
