"""The streaming bench's table (like issue 16's, with ratios to direct and to LiteLLM) and its RESULTS.md section."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from pathlib import Path

START, END = "<!-- streaming-bench:start -->", "<!-- streaming-bench:end -->"
BASELINE_START, BASELINE_END = "<!-- streaming-baseline:start -->", "<!-- streaming-baseline:end -->"


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    unit: str
    goal: str
    higher_is_better: bool = False
    added: bool = False  # shown as the difference to direct (added time to first token)


ROWS = (
    Row("a_ttft", "(a) 1 stream, 500 tokens, no delay: added time to first token, p50", "ms", "≤ +3 ms", added=True),
    Row("b_tps", "(b) 100 streams, 200 tokens at 5 ms/token: tokens/s relayed", "/s", "≥ 0.95× direct", True),
    Row("b_ttft", "(b) time to first token, p50", "ms", "≤ 50 ms"),
    Row("c_gap", "(c) 1,000 streams, 50 tokens at 20 ms/token: p99 gap between chunks", "ms", "≤ 50 ms"),
    Row("c_ttft", "(c) time to first token, p50", "ms", "≤ 500 ms"),
)
PATHS = ("direct", "litellm", "mesh")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _value(row: Row, value: float, direct: float) -> str:
    if row.added:
        return f"+{value - direct:.1f} ms"
    if row.unit == "/s":
        return f"{value:,.0f}"
    return f"{value / 1000:.2f} s" if value >= 10_000 else f"{value:.1f} ms"


def table(medians: dict[str, dict[str, float]]) -> list[str]:
    """One row per scenario figure: direct, LiteLLM (× direct), mesh (× direct, × LiteLLM), goal."""
    lines = [
        "| scenario | direct | LiteLLM | mesh | mesh ÷ direct | mesh ÷ LiteLLM | goal |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in ROWS:
        direct, lite, mesh = (medians[p].get(row.key, float("nan")) for p in PATHS)
        if row.added:
            cells = ["—", _value(row, lite, direct), _value(row, mesh, direct)]
            ratios = ["", f"{(mesh - direct) / (lite - direct):.2f}×" if lite != direct else ""]
        else:
            cells = [_value(row, v, direct) for v in (direct, lite, mesh)]
            ratios = [f"{mesh / direct:.2f}×" if direct else "", f"{mesh / lite:.2f}×" if lite else ""]
        lines.append(f"| {row.label} | {' | '.join(cells)} | {' | '.join(ratios)} | {row.goal} |")
    return lines


def write_section(results: Path, body: str) -> None:
    """Replace the streaming section of RESULTS.md, keeping every other section (and a kept baseline) intact."""
    text = results.read_text() if results.exists() else ""
    baseline = ""
    found = re.search(re.escape(BASELINE_START) + r".*?" + re.escape(BASELINE_END), text, re.S)
    if found:
        baseline = "\n\n" + found.group(0)
    section = f"{START}\n{body.rstrip()}{baseline}\n{END}"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        text = head + section + tail
    else:
        # The first version of this file was the streaming section alone: keep whatever `## ` sections follow it.
        others = re.search(r"^#{1,2} (?!Streaming benchmark)", text, re.M)
        tail = "\n\n" + text[others.start() :] if others else ""
        text = "# Benchmarks\n\n" + section + tail
    results.write_text(text.rstrip() + "\n")
