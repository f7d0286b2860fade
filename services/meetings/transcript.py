"""Pure text work: meeting languages, HH:MM:SS, the transcript assembled from chunks, and the minutes prompt."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.kit.errors import InvalidArgument

# "" means Chinese and English: voice detects the language of each chunk.
_ALIASES = {
    "": "",
    "zh-en": "",
    "zh_en": "",
    "en-zh": "",
    "auto": "",
    "中英文": "",
    "中英": "",
    "chinese": "zh",
    "中文": "zh",
    "汉语": "zh",
    "普通话": "zh",
    "english": "en",
    "英文": "en",
    "英语": "en",
}
_CODE = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{2,8})*$")
_NAMES = {"zh": "Simplified Chinese (简体中文)", "en": "English"}
_SECTIONS = {
    "zh": ("摘要", "决策", "待办事项", "未决问题", "未指定", "无"),
    "en": ("Summary", "Decisions", "Action items", "Open questions", "unassigned", "None"),
}


def normalize_language(value: str) -> str:
    """A meeting's language as a primary subtag ("zh", "en", …), or "" for Chinese and English."""
    key = value.strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    match = _CODE.match(key)
    if match is None:
        raise InvalidArgument(
            f"language {value[:40]!r} is not a language code such as zh or en (null means Chinese and English)",
            field="language",
        )
    return match.group(1)


def clock(ms: int) -> str:
    """Milliseconds as lbai's "HH:MM:SS" (hours keep counting past 99)."""
    seconds = max(0, int(ms)) // 1000
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@dataclass(frozen=True)
class ChunkText:
    """What the transcript needs of one chunk."""

    position: int
    file_id: str
    gap: bool
    text: str
    segments: Sequence[Sequence[Any]]  # [start_ms, end_ms, text], relative to the chunk
    duration_ms: int
    language: str
    error: str = ""


def assemble(chunks: Sequence[ChunkText]) -> str:
    """The meeting's transcript in upload order, one "[HH:MM:SS] text" line per segment; gaps say why."""
    lines: list[str] = []
    offset = 0
    for chunk in sorted(chunks, key=lambda c: c.position):
        if chunk.gap:
            reason = " ".join(chunk.error.split()) or "unknown error"
            lines.append(
                f"[{clock(offset)}] [gap: voice chunk {chunk.position + 1} (file {chunk.file_id}) "
                f"could not be transcribed: {reason}]"
            )
        elif chunk.segments:
            for start, _end, text in chunk.segments:
                if str(text).strip():
                    lines.append(f"[{clock(offset + int(start))}] {str(text).strip()}")
        elif chunk.text.strip():
            lines.append(f"[{clock(offset)}] {chunk.text.strip()}")
        offset += max(0, chunk.duration_ms)
    return "\n".join(lines)


def spoken_language(chunks: Sequence[ChunkText], *, requested: str) -> str:
    """The meeting's language when it was set, else the one voice heard longest ("" when nothing was heard)."""
    if requested:
        return requested
    heard: Counter[str] = Counter()
    for chunk in chunks:
        if not chunk.gap and chunk.language:
            heard[chunk.language.split("-")[0].lower()] += max(chunk.duration_ms, 1)
    return heard.most_common(1)[0][0] if heard else ""


def has_speech(chunks: Sequence[ChunkText]) -> bool:
    return any(not chunk.gap and chunk.text.strip() for chunk in chunks)


def minutes_system_prompt(language: str) -> str:
    """Instructions for the minutes, in the meeting's language ("" falls back to Chinese, lbai's default)."""
    code = language or "zh"
    summary, decisions, actions, questions, nobody, none = _SECTIONS.get(code, _SECTIONS["en"])
    name = _NAMES.get(code, f"the language whose ISO 639 code is {code!r}")
    return (
        "You write the minutes of a meeting from its transcript.\n"
        f"Write them in {name}, in Markdown, with exactly these four level-2 headings, in this order: "
        f"## {summary}, ## {decisions}, ## {actions}, ## {questions}.\n"
        f"- {summary}: a few sentences on what the meeting was about and what came out of it.\n"
        f"- {decisions}: a bullet list of what was decided.\n"
        f"- {actions}: a bullet list, each item `**owner**: task` (with the due date when one was said); "
        f"write `{nobody}` as the owner when the transcript names nobody.\n"
        f"- {questions}: a bullet list of what was left open.\n"
        f"Write `{none}` under a heading with nothing to report. Use only what the transcript says. "
        "Each transcript line starts with its time; a line `[gap: …]` marks audio that could not be transcribed."
    )


def minutes_query(*, name: str, created: str, duration_ms: int, transcript: str, max_chars: int) -> str:
    """The user message: the meeting's name, date and length, then its transcript (head and tail past max_chars)."""
    if len(transcript) > max_chars:
        head = transcript[: max_chars * 2 // 3]
        tail = transcript[len(transcript) - max_chars // 3 :]
        omitted = len(transcript) - len(head) - len(tail)
        transcript = f"{head}\n[… {omitted} characters of the transcript omitted …]\n{tail}"
    return f"Meeting: {name}\nDate: {created}\nDuration: {clock(duration_ms)}\n\nTranscript:\n{transcript}"
