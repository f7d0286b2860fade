"""Meeting languages, HH:MM:SS, transcript assembly with offsets and gaps, and the minutes prompt."""

from __future__ import annotations

import pytest

from services.kit.errors import InvalidArgument
from services.meetings.transcript import (
    ChunkText,
    assemble,
    clock,
    has_speech,
    minutes_query,
    minutes_system_prompt,
    normalize_language,
    spoken_language,
)


def chunk(position: int, *segments: tuple[int, int, str], duration_ms: int, language: str = "en") -> ChunkText:
    text = " ".join(t for _, _, t in segments)
    return ChunkText(position, f"f{position}", False, text, [list(s) for s in segments], duration_ms, language)


def gap(position: int, error: str) -> ChunkText:
    return ChunkText(position, f"f{position}", True, "", [], 0, "", error)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("", ""),
        ("中英文", ""),
        ("zh_en", ""),
        ("ZH-cn", "zh"),
        ("中文", "zh"),
        ("English", "en"),
        ("en-US", "en"),
        ("de", "de"),
    ],
)
def test_languages_normalize_to_a_primary_subtag(given: str, expected: str) -> None:
    assert normalize_language(given) == expected


@pytest.mark.parametrize("given", ["Klingon!", "e", "english please", "z" * 40])
def test_other_languages_are_refused_naming_the_field(given: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        normalize_language(given)
    assert refused.value.field == "language"


@pytest.mark.parametrize(
    ("ms", "text"), [(0, "00:00:00"), (999, "00:00:00"), (61_000, "00:01:01"), (3_600_000 * 101 + 5_000, "101:00:05")]
)
def test_clock_is_hh_mm_ss(ms: int, text: str) -> None:
    assert clock(ms) == text


def test_segments_are_offset_by_the_chunks_before_them_and_gaps_say_why() -> None:
    chunks = [
        chunk(2, (0, 500, "third"), duration_ms=1000),
        chunk(0, (0, 500, "first"), (30_000, 31_000, " later "), duration_ms=59_500),
        gap(1, "the audio could not\nbe decoded"),
    ]
    assert assemble(chunks).splitlines() == [
        "[00:00:00] first",
        "[00:00:30] later",
        "[00:00:59] [gap: voice chunk 2 (file f1) could not be transcribed: the audio could not be decoded]",
        "[00:00:59] third",
    ]
    assert has_speech(chunks) and not has_speech([gap(0, "x")])


def test_text_without_segments_is_one_line_and_silence_is_none() -> None:
    plain = ChunkText(0, "f0", False, "hello there", [], 2000, "en")
    silent = ChunkText(1, "f1", False, "  ", [], 2000, "en")
    assert assemble([plain, silent, chunk(2, (0, 1, "bye"), duration_ms=1)]) == "[00:00:00] hello there\n[00:00:04] bye"


def test_the_spoken_language_is_the_requested_one_or_the_one_heard_longest() -> None:
    chunks = [chunk(0, duration_ms=5000, language="zh"), chunk(1, duration_ms=9000, language="en-US"), gap(2, "x")]
    assert spoken_language(chunks, requested="") == "en"
    assert spoken_language(chunks, requested="zh") == "zh"
    assert spoken_language([gap(0, "x")], requested="") == ""


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh", ("简体中文", "## 摘要", "## 决策", "## 待办事项", "## 未决问题")),
        ("", ("简体中文", "## 摘要")),
        ("en", ("English", "## Summary", "## Action items", "## Open questions")),
    ],
)
def test_the_minutes_prompt_asks_for_four_sections_in_the_meetings_language(
    language: str, words: tuple[str, ...]
) -> None:
    prompt = minutes_system_prompt(language)
    assert all(word in prompt for word in words) and "Markdown" in prompt and "owner" in prompt


def test_a_long_transcript_keeps_its_head_and_tail() -> None:
    text = "A" * 600 + "B" * 400 + "C" * 300
    query = minutes_query(
        name="Sync", created="2024-01-01 10:00:00", duration_ms=61_000, transcript=text, max_chars=900
    )
    assert query.startswith("Meeting: Sync\nDate: 2024-01-01 10:00:00\nDuration: 00:01:01\n\nTranscript:\nAAAA")
    assert query.endswith("C" * 300) and "[… 400 characters of the transcript omitted …]" in query
    assert minutes_query(name="n", created="d", duration_ms=0, transcript="short", max_chars=900).endswith("\nshort")
