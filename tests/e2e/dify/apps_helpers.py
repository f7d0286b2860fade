"""Helpers for the apps e2e tests: tenants, the events stored on MESH_EVENTS, and rows left in a service DB."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from dataclasses import dataclass
from typing import Any

import nats
import orjson

from tests.e2e.conftest import MeshClient


@dataclass(frozen=True)
class Tenant:
    token: str
    user_id: int
    company_id: int
    company: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def tenant(mesh: MeshClient, label: str, *, company: str | None = None, roles: tuple[str, ...] = ()) -> Tenant:
    """A fresh user (role user unless roles are given), in a fresh company unless one is named."""
    suffix = uuid.uuid4().hex[:8]
    account = f"{label}-{suffix}@apps.test"
    extra = {"roles": list(roles)} if roles else {}
    made = mesh.create_user(account, "apps-pass-123", company or f"{label} Co {suffix}", **extra)
    token = mesh.login(account, "apps-pass-123")
    return Tenant(token, int(str(made["user_id"])), int(str(made["company_id"])), str(made["company"]))


def rows(mesh: MeshClient, service: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows from a service's SQLite database under the mesh's data dir (read-only)."""
    path = mesh.mesh.data_dir / f"{service}.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as conn:
        return list(conn.execute(sql, params))


def count(mesh: MeshClient, service: str, table: str, column: str, value: Any) -> int:
    return int(rows(mesh, service, f"SELECT count(*) FROM {table} WHERE {column} = ?", value)[0][0])


def wait_until(check: Any, *, timeout_s: float = 10.0) -> Any:
    """Poll until check() is truthy; returns its last value."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def stored_events(mesh: MeshClient, verb: str, app_id: str) -> list[dict[str, Any]]:
    """Payloads of mesh.events.apps.<verb> about one app, as stored on the MESH_EVENTS stream."""
    assert mesh.mesh.nats is not None

    async def read() -> list[dict[str, Any]]:
        nc = await nats.connect(mesh.mesh.nats.url)
        try:
            sub = await nc.jetstream().subscribe(
                f"mesh.events.apps.{verb}", stream="MESH_EVENTS", ordered_consumer=True
            )
            found: list[dict[str, Any]] = []
            while True:
                try:
                    msg = await sub.next_msg(timeout=1.0)
                except TimeoutError:
                    return found
                payload = orjson.loads(msg.data)
                if payload.get("app_id") == app_id:
                    found.append(payload)
        finally:
            await nc.close()

    return asyncio.run(read())
