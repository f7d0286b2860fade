"""Keeps the mesh's processes running: restarts one that exits, with backoff, and gives up on a crash loop."""

from __future__ import annotations

import collections
import contextlib
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from services.kit.embedded import ManagedServer, die_with_parent


@dataclass(frozen=True)
class RestartPolicy:
    """Restart after a backoff that doubles with each recent crash; give up at max_crashes within window_s."""

    max_crashes: int = 5
    window_s: float = 60.0
    first_backoff_s: float = 0.5
    max_backoff_s: float = 15.0

    def backoff_s(self, recent_crashes: int) -> float:
        return min(self.max_backoff_s, self.first_backoff_s * 2 ** max(0, recent_crashes - 1))


def describe_exit(returncode: int) -> str:
    """`exit code 3`, or `killed by SIGKILL` for a negative Popen return code."""
    if returncode >= 0:
        return f"exit code {returncode}"
    try:
        return f"killed by {signal.Signals(-returncode).name}"
    except ValueError:
        return f"killed by signal {-returncode}"


class Unit(Protocol):
    """Something the supervisor starts, watches, restarts and stops."""

    name: str

    @property
    def pid(self) -> int | None: ...

    def start(self) -> None: ...

    def exit_status(self) -> int | None:
        """None while running; the return code once it has ended."""
        ...

    def request_stop(self) -> None: ...

    def finish_stop(self, deadline: float) -> None:
        """Wait for the process to end until deadline (monotonic), then kill it."""
        ...


@dataclass
class ChildProcess:
    """A command restarted with the same arguments and environment (so the same port) every time."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    log: IO[bytes] | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT if self.log else None,
            # Ctrl-C at a terminal reaches only the launcher, which then stops children in order.
            start_new_session=True,
            # If the launcher is SIGKILLed, the kernel asks the child to shut down gracefully.
            preexec_fn=die_with_parent(signal.SIGTERM),
        )

    def exit_status(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def request_stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def finish_stop(self, deadline: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class ServerUnit:
    """An embedded server (NATS, Valkey); it keeps its port across restarts."""

    name: str
    server: ManagedServer

    @property
    def pid(self) -> int | None:
        return self.server.pid

    def start(self) -> None:
        self.server.start()

    def exit_status(self) -> int | None:
        return self.server.returncode

    def request_stop(self) -> None:
        """The server's own stop() signals and waits in one step."""

    def finish_stop(self, deadline: float) -> None:
        self.server.stop()


@dataclass
class _Watched:
    unit: Unit
    stop_group: int
    crashes: collections.deque[float] = field(default_factory=collections.deque)
    restart_at: float | None = None


class Supervisor:
    """Owns every child from one long-lived thread, restarting those that exit once supervise() was called.

    One thread does all forking because Linux delivers the parent-death signal when the forking
    *thread* ends: children forked by a short-lived thread would die with it.
    """

    def __init__(self, *, policy: RestartPolicy, report: Callable[[str], None], tick_s: float = 0.2) -> None:
        self.policy = policy
        self.report = report
        self.tick_s = tick_s
        self.failure: str | None = None
        self.finished = threading.Event()
        self._watched: list[_Watched] = []  # touched only by the supervisor thread
        self._booted = threading.Event()
        self._supervising = threading.Event()
        self._stopping = threading.Event()
        self._grace_s = 25.0
        self._thread: threading.Thread | None = None

    def add(self, unit: Unit, *, stop_group: int) -> None:
        """Start a unit now (call from the boot function); lower stop groups are stopped first."""
        self._watched.append(_Watched(unit, stop_group))
        unit.start()

    def start(self, boot: Callable[[], None]) -> None:
        """Run boot (which adds units) on the supervisor thread; returns once it finished or failed."""
        self._thread = threading.Thread(target=self._run, args=(boot,), name="mesh-supervisor", daemon=True)
        self._thread.start()
        self._booted.wait()

    def supervise(self) -> None:
        """From now on an exited process is restarted; before, any exit fails the start."""
        self._supervising.set()

    def stop(self, *, grace_s: float = 25.0) -> None:
        """Stop every unit, group by group, each group within grace_s; safe to call more than once."""
        self._grace_s = grace_s
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self, boot: Callable[[], None]) -> None:
        try:
            try:
                boot()
            except Exception as error:
                self.failure = f"start failed: {error}"
            finally:
                self._booted.set()
            while self.failure is None and not self._stopping.wait(self.tick_s):
                self._check()
        finally:
            self._shutdown()
            self.finished.set()

    def _check(self) -> None:
        now = time.monotonic()
        for watched in list(self._watched):
            unit = watched.unit
            if watched.restart_at is not None:
                if now >= watched.restart_at:
                    self._restart(watched)
                continue
            status = unit.exit_status()
            if status is None:
                continue
            if not self._supervising.is_set():
                self.failure = f"{unit.name} exited during start ({describe_exit(status)})"
                return
            self._crashed(watched, describe_exit(status))
            if self.failure:
                return

    def _restart(self, watched: _Watched) -> None:
        watched.restart_at = None
        try:
            watched.unit.start()
        except Exception as error:
            self._crashed(watched, f"restart failed: {error}")
            return
        self.report(f"{watched.unit.name} restarted (pid {watched.unit.pid})")

    def _crashed(self, watched: _Watched, why: str) -> None:
        now = time.monotonic()
        watched.crashes.append(now)
        while watched.crashes and now - watched.crashes[0] > self.policy.window_s:
            watched.crashes.popleft()
        count, name, window = len(watched.crashes), watched.unit.name, self.policy.window_s
        if count >= self.policy.max_crashes:
            self.failure = f"{name} crashed {count} times within {window:g}s (last: {why}); giving up"
            self.report(f"{self.failure}, stopping MeshConsole")
            return
        delay = self.policy.backoff_s(count)
        watched.restart_at = now + delay
        self.report(
            f"{name} exited ({why}); restarting in {delay:g}s "
            f"(crash {count}; giving up at {self.policy.max_crashes} within {window:g}s)"
        )

    def _shutdown(self) -> None:
        groups = sorted({w.stop_group for w in self._watched})
        for group in groups:
            members = [w.unit for w in self._watched if w.stop_group == group]
            for unit in members:
                with contextlib.suppress(Exception):
                    unit.request_stop()
            deadline = time.monotonic() + self._grace_s
            for unit in members:
                try:
                    unit.finish_stop(deadline)
                except Exception as error:
                    self.report(f"stopping {unit.name} failed: {error}")
