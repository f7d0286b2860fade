"""Streaming benchmark: a 500-token answer through the gateway vs. directly from the same upstream.

Run with `make bench`. It reports and never asserts timings: time to first token and total time on each path
with their ratio, then how many concurrent paced streams the gateway sustains and the p99 gap between chunks.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from deploy.local.launcher import LaunchConfig, Mesh
from services.kit.testing.servers import free_port

pytestmark = pytest.mark.bench
CHUNKS = 500
PACED_CHUNKS = 100
PACE_MS = 20.0
RESULTS = Path(__file__).with_name("RESULTS.md")


@dataclass
class Bench:
    base_url: str
    upstream_url: str
    headers: dict[str, str]
    fast_app: str
    paced_app: str


def _start_upstream(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "services.kit.testing.openai_upstream", "--port", str(port)]
    command += ["--chunks", str(CHUNKS), "--paced-chunks", str(PACED_CHUNKS), "--delay-ms", str(PACE_MS)]
    process = subprocess.Popen(command)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("bench upstream did not start")


def _app(http: httpx.Client, headers: dict[str, str], model: str) -> str:
    app_id = str(http.post("/console/api/apps", json={"name": model, "mode": "chat"}, headers=headers).json()["id"])
    config = {"pre_prompt": "", "model": {"provider": "openai_api_compatible", "name": model, "completion_params": {}}}
    http.post(f"/console/api/apps/{app_id}/model-config", json=config, headers=headers).raise_for_status()
    return app_id


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    upstream_port = free_port()
    upstream = _start_upstream(upstream_port)
    upstream_url = f"http://127.0.0.1:{upstream_port}/v1"
    config = LaunchConfig(
        port=free_port(),
        data_dir=tmp_path_factory.mktemp("bench"),
        admin_account="bench@mesh.test",
        admin_password="bench-password-1",
        openai={"OPENAI_BASE_URL": upstream_url, "OPENAI_API_KEY": "bench", "MESH_DEFAULT_MODEL": "mesh-bench-model"},
        log_to_files=True,
    )
    mesh = Mesh(config).start()
    try:
        with httpx.Client(base_url=mesh.base_url, timeout=60) as http:
            login = {
                "user_account": "bench@mesh.test",
                "user_password": hashlib.sha256(b"bench-password-1").hexdigest(),
            }
            token = http.post("/next_console/login_by_password", json=login).json()["result"]["token"]
            headers = {"Authorization": f"Bearer {token}"}
            yield Bench(
                base_url=mesh.base_url,
                upstream_url=upstream_url,
                headers=headers,
                fast_app=_app(http, headers, "mesh-bench-model"),
                paced_app=_app(http, headers, "mesh-bench-paced"),
            )
    finally:
        mesh.stop()
        upstream.kill()


async def _stream(client: httpx.AsyncClient, url: str, **kwargs: object) -> tuple[float, float, list[float]]:
    """(time to first token, total time, gaps between token chunks) for one streamed answer."""
    started = time.perf_counter()
    stamps: list[float] = []
    async with client.stream("POST", url, **kwargs) as response:  # type: ignore[arg-type]
        response.raise_for_status()
        async for line in response.aiter_lines():
            if line.startswith("data:") and "tok" in line:
                stamps.append(time.perf_counter())
    if not stamps:
        raise AssertionError(f"no tokens streamed from {url}")
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    return stamps[0] - started, time.perf_counter() - started, gaps


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def _single(b: Bench) -> list[str]:
    gateway = f"{b.base_url}/console/api/apps/{b.fast_app}/chat-messages"
    direct = f"{b.upstream_url}/chat/completions"
    direct_body = {"model": "mesh-bench-model", "messages": [{"role": "user", "content": "go"}], "stream": True}
    runs: dict[str, list[tuple[float, float, list[float]]]] = {"direct": [], "gateway": []}
    async with httpx.AsyncClient(timeout=120) as client:
        for _ in range(3):
            await _stream(client, gateway, json={"query": "go"}, headers=b.headers)
        for _ in range(15):
            runs["direct"].append(await _stream(client, direct, json=direct_body))
            runs["gateway"].append(await _stream(client, gateway, json={"query": "go"}, headers=b.headers))
    ttft = {k: statistics.median(r[0] for r in v) * 1000 for k, v in runs.items()}
    total = {k: statistics.median(r[1] for r in v) * 1000 for k, v in runs.items()}
    per_chunk = (total["gateway"] - total["direct"]) * 1000 / CHUNKS
    return [
        f"Single stream of {CHUNKS} chunks, upstream with no delay (median of 15):",
        "",
        "| | direct | through gateway | ratio |",
        "|---|---|---|---|",
        _row("time to first token (ms)", ttft),
        _row("total time (ms)", total),
        f"| added per chunk (µs) | | {per_chunk:.0f} | |",
    ]


def _row(label: str, values: dict[str, float]) -> str:
    return (
        f"| {label} | {values['direct']:.1f} | {values['gateway']:.1f} | {values['gateway'] / values['direct']:.2f} |"
    )


async def _concurrent(b: Bench, streams: int) -> tuple[float, float, float, int]:
    gateway = f"{b.base_url}/console/api/apps/{b.paced_app}/chat-messages"
    limits = httpx.Limits(max_connections=streams + 10, max_keepalive_connections=streams + 10)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        started = time.perf_counter()
        results = await asyncio.gather(
            *(_stream(client, gateway, json={"query": "go"}, headers=b.headers) for _ in range(streams)),
            return_exceptions=True,
        )
        wall = time.perf_counter() - started
    ok = [r for r in results if not isinstance(r, BaseException)]
    errors = {repr(r)[:200] for r in results if isinstance(r, BaseException)}
    if errors:
        sys.stdout.write(f"failures at {streams} streams: {sorted(errors)[:3]}\n")
    gaps = [g for r in ok for g in r[2]]
    return _p(gaps, 0.99) * 1000, _p([r[0] for r in ok], 0.99) * 1000, wall, len(results) - len(ok)


async def _concurrency(b: Bench) -> list[str]:
    rate = 1000 / PACE_MS
    lines = [
        f"Concurrent streams of {PACED_CHUNKS} chunks paced at {PACE_MS:.0f} ms (a {rate:.0f} tokens/s model):",
        "",
        "| streams | p99 gap between chunks (ms) | p99 time to first token (ms) | wall time (s) | failed |",
        "|---|---|---|---|---|",
    ]
    sustained = 0
    for streams in (10, 50, 100, 200):
        gap, ttft, wall, failed = await _concurrent(b, streams)
        lines.append(f"| {streams} | {gap:.1f} | {ttft:.1f} | {wall:.2f} | {failed} |")
        if failed == 0 and gap < PACE_MS * 3:
            sustained = streams
    lines += ["", f"Sustained (no failures, p99 gap under {PACE_MS * 3:.0f} ms): {sustained} concurrent streams."]
    return lines


def test_streaming_overhead_and_concurrency(bench: Bench) -> None:
    lines = [*asyncio.run(_single(bench)), "", *asyncio.run(_concurrency(bench))]
    report = "\n".join(lines)
    RESULTS.write_text(
        f"# Streaming benchmark\n\n2 cores, everything on one machine; `make bench` refreshes it.\n\n{report}\n"
    )
    sys.stdout.write("\n" + report + "\n")
