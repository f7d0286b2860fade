"""Helpers for tests that kill real processes: waiting on conditions with deadlines, and telling the dead apart."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TypeVar

import psutil

T = TypeVar("T")


def wait_until(check: Callable[[], T], *, timeout_s: float, what: str, interval_s: float = 0.1) -> T:
    """Poll check() until it returns something truthy; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g}s waiting for {what}")
        time.sleep(interval_s)


def alive(process: psutil.Process) -> bool:
    """Running and not a zombie (an orphan's zombie is waiting for init to reap it: it is gone)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def survivors(processes: Iterable[psutil.Process]) -> list[str]:
    """`pid command` of each process still alive."""
    found = []
    for process in processes:
        if alive(process):
            try:
                found.append(f"{process.pid} {' '.join(process.cmdline())}")
            except psutil.Error:
                continue
    return found


def runs_module(process: psutil.Process, module: str) -> bool:
    """Whether the process is `python -m <module>` or a server binary of that name (valkey retitles itself)."""
    try:
        argv = process.cmdline()
    except psutil.Error:
        return False
    words = [arg.split(" ", 1)[0] for arg in argv]
    return any(word == module or word.endswith(f"/{module}") for word in words)
