"""Streaming at scale (issue 16): the upstream direct, a LiteLLM proxy and the mesh's app_run/v2, interleaved.

Run with `make bench`; it reports and never asserts timings. Scenarios (a) 1 stream of 500 tokens with no delay,
(b) 100 streams of 200 tokens at 5 ms/token, (c) 1,000 streams of 50 tokens at 20 ms/token, repeated
BENCH_REPEATS times (3) path after path, medians reported. Then CPU per relayed token per process, gateway and
chat memory at 1,000 open streams, a py-spy profile under (b) and (c), and a burst of 200 new conversations on
SQLite and on PostgreSQL. Everything runs on this host, so its load matters: the load average is recorded.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from services.kit.testing.servers import PostgresServer
from tests.bench import profile, report
from tests.bench.sse_probe import StreamResult, many, request_bytes, stream_once
from tests.bench.stack import LITELLM_KEY, MeshPath, raise_fd_limit, start_litellm, start_mesh, start_upstream

pytestmark = [pytest.mark.bench, pytest.mark.timeout(3600)]
RESULTS = Path(__file__).with_name("RESULTS.md")
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
# For quick A/B runs of one setting: BENCH_MESH_SETTINGS="MESH_X=1,MESH_Y=2" is handed to every mesh process.
MESH_SETTINGS = dict(kv.split("=", 1) for kv in os.environ.get("BENCH_MESH_SETTINGS", "").split(",") if "=" in kv)
SINGLE_RUNS = 5  # sequential single streams per repetition and path
SCENARIOS = {"a": ("bench-single", 1), "b": ("bench-throughput", 100), "c": ("bench-wide", 1000)}
BURST = ("bench-burst", 200)
SERVICES_WITH_DB = ("identity", "apps", "chat", "retrieval", "files", "voice", "meetings")


@dataclass
class Target:
    """One path: how to ask it for a stream of a bench model."""

    name: str
    build: Callable[[str], tuple[str, int, bytes]]


def _direct(upstream_url: str) -> Target:
    def build(model: str) -> tuple[str, int, bytes]:
        body = {"model": model, "messages": [{"role": "user", "content": "go"}], "stream": True}
        return request_bytes(f"{upstream_url}/chat/completions", body, {})

    return Target("direct", build)


def _litellm(base_url: str) -> Target:
    def build(model: str) -> tuple[str, int, bytes]:
        body = {"model": model, "messages": [{"role": "user", "content": "go"}], "stream": True}
        return request_bytes(f"{base_url}/v1/chat/completions", body, {"Authorization": f"Bearer {LITELLM_KEY}"})

    return Target("litellm", build)


def _mesh(path: MeshPath) -> Target:
    def build(model: str) -> tuple[str, int, bytes]:
        body = {"app_code": path.apps[model], "messages": [{"role": "user", "content": "go"}], "stream": True}
        return request_bytes(path.url, body, path.headers)

    return Target("mesh", build)


def _failures(results: list[StreamResult]) -> str:
    failed = [r for r in results if not r.ok]
    if not failed:
        return ""
    kinds = sorted({f"{r.status or r.error[:60]}" for r in failed})
    return f"{len(failed)} failed ({', '.join(kinds[:3])})"


async def _scenario(target: Target, key: str) -> tuple[dict[str, float], list[StreamResult]]:
    model, streams = SCENARIOS[key]
    host, port, request = target.build(model)
    if key == "a":
        results = [await stream_once(host, port, request) for _ in range(SINGLE_RUNS)]
        ok = [r for r in results if r.ok]
        return {"a_ttft": report.median([r.ttft_s * 1000 for r in ok])}, results
    results, wall = await many(host, port, request, streams)
    ok = [r for r in results if r.ok]
    ttft = report.median([r.ttft_s * 1000 for r in ok])
    if key == "b":
        return {"b_tps": sum(r.tokens for r in ok) / wall, "b_ttft": ttft}, results
    return {"c_gap": report.pct([g for r in ok for g in r.gaps_s], 0.99) * 1000, "c_ttft": ttft}, results


def _cpu_s(pid: int) -> float:
    """CPU seconds of a process and its children (LiteLLM's worker, if it forks one)."""
    try:
        process = psutil.Process(pid)
        total = sum(process.cpu_times()[:2])
        return total + sum(sum(c.cpu_times()[:2]) for c in process.children(recursive=True))
    except psutil.NoSuchProcess:
        return 0.0


def _rss_mb(pids: list[int]) -> float:
    return sum(psutil.Process(p).memory_info().rss for p in pids) / 2**20


async def _sample_peak_rss(pids: list[int], stop: asyncio.Event) -> float:
    peak = 0.0
    while not stop.is_set():
        peak = max(peak, _rss_mb(pids))
        await asyncio.sleep(0.05)
    return peak


@dataclass
class Run:
    upstream_pid: int
    targets: list[Target]
    mesh: MeshPath
    litellm_pid: int


async def _interleaved(run: Run, lines: list[str]) -> dict[str, dict[str, list[float]]]:
    """Every scenario on every path, REPEATS times; CPU per token under (b) and memory under (c) on the way."""
    values: dict[str, dict[str, list[float]]] = {t.name: {} for t in run.targets}
    cpu: dict[str, list[float]] = {}
    memory: list[float] = []
    notes: list[str] = []
    mesh_pids = {"gateway": run.mesh.pid("gateway"), "chat": run.mesh.pid("chat")}
    for repeat in range(REPEATS):
        for key in SCENARIOS:
            for target in run.targets:
                await asyncio.sleep(1.0)  # let the previous run's connections close
                watched = {"upstream": run.upstream_pid}
                watched.update(mesh_pids if target.name == "mesh" else {})
                watched.update({"litellm": run.litellm_pid} if target.name == "litellm" else {})
                before_cpu = {name: _cpu_s(pid) for name, pid in watched.items()}
                stop, sampler = asyncio.Event(), None
                idle_rss = _rss_mb(list(mesh_pids.values()))
                if key == "c" and target.name == "mesh":
                    sampler = asyncio.create_task(_sample_peak_rss(list(mesh_pids.values()), stop))
                figures, results = await _scenario(target, key)
                stop.set()
                if sampler is not None:
                    memory.append(await sampler - idle_rss)
                tokens = sum(r.tokens for r in results)
                if key == "b" and tokens:
                    for name, pid in watched.items():
                        cpu.setdefault(f"{target.name}:{name}", []).append((_cpu_s(pid) - before_cpu[name]) / tokens)
                for name, value in figures.items():
                    values[target.name].setdefault(name, []).append(value)
                failed = _failures(results)
                if failed:
                    notes.append(f"- repetition {repeat + 1}, ({key}) {target.name}: {failed}")
                sys.stdout.write(f"[{repeat + 1}/{REPEATS}] ({key}) {target.name}: {figures} {failed}\n")
                sys.stdout.flush()
    lines += ["", "CPU per relayed token under (b), µs (median of the repetitions; process and its children):", ""]
    lines += ["| path | process | µs per token |", "|---|---|---|"]
    for name, per_token in sorted(cpu.items()):
        path, process = name.split(":")
        lines.append(f"| {path} | {process} | {report.median(per_token) * 1e6:.0f} |")
    lines += [
        "",
        f"Memory at 1,000 open streams ((c) on the mesh), gateway + chat RSS over idle: "
        f"{report.median(memory):.0f} MB (median; runs: {', '.join(f'{m:.0f}' for m in memory)}).",
    ]
    if notes:
        lines += ["", "Failed streams:", *notes]
    return values


async def _profile(run: Run, workdir: Path) -> list[str]:
    """py-spy on gateway and chat during one more (b) and (c) on the mesh (not part of the timed runs)."""
    target = next(t for t in run.targets if t.name == "mesh")
    lines: list[str] = []
    for key, seconds in (("b", 4), ("c", 6)):
        files = {name: workdir / f"profile-{key}-{name}.txt" for name in ("gateway", "chat")}
        spies = [profile.start(run.mesh.pid(name), out, seconds) for name, out in files.items()]
        await _scenario(target, key)
        for spy in spies:
            if spy is not None:
                await asyncio.to_thread(spy.wait, 60)
        summaries = [profile.summarise(name, out) for name, out in files.items()]
        lines += ["", *profile.markdown(summaries, f"scenario ({key}), first {seconds} s")]
    return lines


async def _burst(target: Target, label: str) -> str:
    ttfts: list[list[float]] = []
    failed = ""
    host, port, request = target.build(BURST[0])
    await stream_once(host, port, request)
    for _ in range(REPEATS):
        await asyncio.sleep(1.0)
        results, _ = await many(host, port, request, BURST[1])
        ttfts.append([r.ttft_s * 1000 for r in results if r.ok])
        failed = failed or _failures(results)
    p50 = report.median([report.pct(t, 0.5) for t in ttfts])
    p99 = report.median([report.pct(t, 0.99) for t in ttfts])
    return f"| {label} | {p50:.1f} | {p99:.1f} | {failed or 0} |"


def _postgres_burst(upstream_url: str, workdir: Path) -> str:
    """The burst again on a mesh whose services keep their data in PostgreSQL."""
    with tempfile.TemporaryDirectory(prefix="mesh-bench-pg-") as tmp, PostgresServer(tmp) as server:
        for name in SERVICES_WITH_DB:
            asyncio.run(server.create_database(f"bench_{name}"))
        url = server.url_for("bench_{service}")
        path = start_mesh(upstream_url, workdir / "mesh-pg", {**MESH_SETTINGS, "MESH_DATABASE_URL": url})
        try:
            return asyncio.run(_burst(_mesh(path), "mesh on PostgreSQL"))
        finally:
            path.mesh.stop()


def test_streaming_at_scale(tmp_path: Path) -> None:
    raise_fd_limit()
    load = os.getloadavg()
    upstream, upstream_url = start_upstream()
    litellm, litellm_url = start_litellm(upstream_url, tmp_path)
    mesh = start_mesh(upstream_url, tmp_path / "mesh", MESH_SETTINGS)
    lines: list[str] = []
    try:
        targets = [_direct(upstream_url), _litellm(litellm_url), _mesh(mesh)]
        run = Run(upstream_pid=upstream.pid, targets=targets, mesh=mesh, litellm_pid=litellm.pid)
        for target in targets:  # warm every path: connections, caches, the first conversation
            asyncio.run(_scenario(target, "a"))
        values = asyncio.run(_interleaved(run, lines))
        medians = {path: {k: report.median(v) for k, v in figures.items()} for path, figures in values.items()}
        bursts = [asyncio.run(_burst(targets[0], "direct")), asyncio.run(_burst(targets[2], "mesh on SQLite"))]
        lines += asyncio.run(_profile(run, tmp_path))
    finally:
        litellm.terminate()
        mesh.mesh.stop()
    try:
        bursts.append(_postgres_burst(upstream_url, tmp_path))
    finally:
        upstream.terminate()
    header = [
        "## Streaming at scale (issue 16)",
        "",
        f"`make bench` on this 2-core machine, shared with other work (load average {load[0]:.1f} at the start: "
        "numbers are noisy). Scripted OpenAI-wire upstream (tests/bench/bench_upstream.py), LiteLLM proxy "
        "(tests/bench/litellm/uv.lock, one worker) and the mesh's app_run/v2 through the launcher, every path on "
        f"this host; {REPEATS} interleaved repetitions, medians; raw-socket clients (tests/bench/sse_probe.py).",
        "",
        *report.table(medians),
        "",
        "Burst: 200 new conversations at once (20 tokens at 5 ms/token), time to first token (median of "
        f"{REPEATS} bursts):",
        "",
        "| path | p50 ms | p99 ms | failed |",
        "|---|---|---|---|",
        *bursts,
    ]
    body = "\n".join([*header, *lines])
    report.write_section(RESULTS, body)
    sys.stdout.write("\n" + body + "\n")
