"""py-spy sampling of the mesh's processes under load, summarised as the frames that hold the CPU."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

PY_SPY = Path(sys.executable).with_name("py-spy")
RATE = 250
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:]*)(?::\d+)?\)$")
# Frames every sample passes through (interpreter start, event loop, thread bootstrap): they say nothing.
_ROOTS = ("<frozen runpy>", "asyncio/runners.py", "asyncio/base_events.py", "asyncio/events.py", "threading.py")
_ROOTS += ("uvicorn/main.py", "uvicorn/server.py", "uvicorn/_compat.py", "__main__.py", "service_main.py")
_ROOTS_SUFFIXES = tuple(f"({root})" for root in _ROOTS)


@dataclass
class Profile:
    process: str
    samples: int
    own: list[tuple[str, float]]  # leaf frames by share of samples
    inclusive: list[tuple[str, float]]  # frames on the stack, by share of samples


def start(pid: int, out: Path, seconds: float, *, nonblocking: bool = True) -> subprocess.Popen[bytes] | None:
    """py-spy record in the background (None when py-spy is missing: the bench still runs). Non-blocking sampling
    leaves the process undisturbed but may tear a stack; blocking is exact and slows the process a little."""
    if not PY_SPY.exists():
        return None
    command = [str(PY_SPY), "record", "-p", str(pid), "-d", str(int(seconds)), "-r", str(RATE)]
    command += ["--nonblocking"] if nonblocking else []
    command += ["-f", "raw", "-o", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _short(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match['func']} ({path})"


def summarise(process: str, raw: Path, top: int = 12) -> Profile:
    """Top frames of a py-spy raw (collapsed stacks) file, by own samples and inclusive samples."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines() if raw.exists() else []:
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";") if f]
        # The first entry is the thread ("process 1:...") when py-spy names it; keep function frames only.
        frames = [f for f in frames if "(" in f]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            if not frame.endswith(_ROOTS_SUFFIXES):
                inclusive[frame] += count
    share = 100.0 / total if total else 0.0
    return Profile(
        process=process,
        samples=total,
        own=[(f, n * share) for f, n in own.most_common(top)],
        inclusive=[(f, n * share) for f, n in inclusive.most_common(top)],
    )


def markdown(profiles: list[Profile], scenario: str) -> list[str]:
    lines = [f"py-spy, {RATE} Hz, under {scenario}: the frames holding each process's CPU (share of samples).", ""]
    for profile in profiles:
        lines += [f"**{profile.process}** ({profile.samples} samples)", "", "| own % | frame |", "|---|---|"]
        lines += [f"| {share:.1f} | `{frame}` |" for frame, share in profile.own]
        lines += ["", "| inclusive % | frame |", "|---|---|"]
        lines += [f"| {share:.1f} | `{frame}` |" for frame, share in profile.inclusive]
        lines.append("")
    return lines
