"""Chunking strategies: `basic` (by size with overlap), `by_title` (Markdown headings) and `none`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.kit.errors import InvalidArgument

STRATEGIES = ("basic", "by_title", "none")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;.])\s*|\n+")


@dataclass(frozen=True)
class Piece:
    title: str
    text: str


def check_strategy(strategy: str) -> str:
    """The strategy name ("" = basic), or INVALID_ARGUMENT naming chunking_strategy."""
    name = (strategy or "basic").strip().lower()
    if name not in STRATEGIES:
        raise InvalidArgument(f"chunking_strategy must be one of {', '.join(STRATEGIES)}", field="chunking_strategy")
    return name


def _units(text: str, size: int) -> list[str]:
    """Sentences (or hard slices of over-long ones), each at most size characters."""
    units: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        while len(sentence) > size:
            units.append(sentence[:size])
            sentence = sentence[size:]
        if sentence:
            units.append(sentence)
    return units


def split_basic(text: str, *, size: int, overlap: int) -> list[str]:
    """Pack whole sentences into chunks of at most size characters; each chunk repeats the previous tail."""
    chunks: list[str] = []
    current = ""
    for unit in _units(text, size):
        joined = f"{current} {unit}" if current else unit
        if len(joined) <= size:
            current = joined
            continue
        chunks.append(current)
        tail = current[-overlap:] if overlap else ""
        current = f"{tail} {unit}".strip() if len(tail) + len(unit) + 1 <= size else unit
    if current:
        chunks.append(current)
    return chunks


def _sections(text: str) -> list[Piece]:
    sections: list[Piece] = []
    path: list[str] = []
    lines: list[str] = []

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body:
            sections.append(Piece(" / ".join(path), body))
        lines.clear()

    for line in text.splitlines():
        match = _HEADING.match(line)
        if match:
            flush()
            level = len(match.group(1))
            path[:] = [*path[: level - 1], match.group(2).strip()]
            continue
        lines.append(line)
    flush()
    return sections


def chunk_text(text: str, *, strategy: str, title: str = "", size: int = 500, overlap: int = 50) -> list[Piece]:
    """Split a document's text into titled pieces."""
    strategy = check_strategy(strategy)
    if not text.strip():
        return []
    if strategy == "none":
        return [Piece(title, text.strip())]
    if strategy == "basic":
        return [Piece(title, chunk) for chunk in split_basic(text, size=size, overlap=overlap)]
    pieces: list[Piece] = []
    for section in _sections(text):
        heading = section.title or title
        pieces.extend(Piece(heading, chunk) for chunk in split_basic(section.text, size=size, overlap=overlap))
    return pieces
