"""Text for synthesis: sentence splitting (so the first audio comes early) and a language guess from the script."""

from __future__ import annotations

import re

# Sentence ends, Latin and CJK; a Latin full stop only ends a sentence before whitespace (not 3.14 or e.g.x).
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])|(?<=[.…])(?=\s)")
_SOFT_BREAK = re.compile(r"(?<=[，,、：:])")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
MAX_PIECE = 200
MIN_PIECE = 12


def guess_language(text: str) -> str:
    """'zh' when the text is mostly Han characters, else 'en'."""
    han = len(_CJK.findall(text))
    latin = len(_LETTER.findall(text))
    return "zh" if han and han * 2 >= latin else "en"


def normalize_language(code: str) -> str:
    """'zh-CN', 'cmn', 'zh_Hans' as 'zh'; 'en-US' as 'en'; other codes lower-cased up to the first separator."""
    base = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0] if code.strip() else ""
    return "zh" if base in ("cmn", "zh", "chinese", "mandarin") else ("en" if base == "english" else base)


def _cut_long(piece: str) -> list[str]:
    if len(piece) <= MAX_PIECE:
        return [piece]
    out: list[str] = []
    current = ""
    for part in _SOFT_BREAK.split(piece):
        while len(part) > MAX_PIECE:  # no soft break either: cut at a space, else hard
            cut = part.rfind(" ", 0, MAX_PIECE)
            cut = cut if cut > MAX_PIECE // 2 else MAX_PIECE
            if current:
                out.append(current)
                current = ""
            out.append(part[:cut])
            part = part[cut:]
        if len(current) + len(part) > MAX_PIECE and current:
            out.append(current)
            current = ""
        current += part
    if current:
        out.append(current)
    return out


def _weight(piece: str) -> int:
    """Length in Latin-character terms: a Han character is a syllable, worth about three letters."""
    return len(piece) + 2 * len(_CJK.findall(piece))


def split_sentences(text: str) -> list[str]:
    """Sentences of text, each at most MAX_PIECE characters; very short ones join the next (but never the first)."""
    pieces: list[str] = []
    for raw in _SENTENCE_END.split(text):
        for piece in _cut_long(raw.strip()):
            if not piece.strip():
                continue
            if len(pieces) > 1 and _weight(pieces[-1]) < MIN_PIECE:
                joiner = "" if _CJK.search(pieces[-1][-2:]) else " "
                pieces[-1] = f"{pieces[-1]}{joiner}{piece.strip()}"
            else:
                pieces.append(piece.strip())
    return pieces
