"""Starts NATS, Valkey, the seven services and the gateway as supervised child processes; stops them cleanly."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from deploy.local.console import ready_banner, watch_parent_interrupt
from deploy.local.supervisor import ChildProcess, RestartPolicy, ServerUnit, Supervisor
from services.kit.embedded import NatsServer, ValkeyServer, free_port, set_parent_death_signal
from services.kit.mesh_tls import MeshTls
from services.kit.settings import SERVICE_NAMES

REPO_ROOT = Path(__file__).resolve().parents[2]
# Wiring the launcher decides for every child; an operator's value would point a child at the wrong peer.
LAUNCHER_OWNED = frozenset(
    {
        "MESH_HOST",
        "MESH_PORT",
        "MESH_GRPC_PORT",
        # Services listen on loopback only; one health port would clash between them.
        "MESH_GRPC_BIND_HOST",
        "MESH_GRPC_HEALTH_PORT",
        "MESH_METRICS_PORT",
        "MESH_DATA_DIR",
        "MESH_NATS_URL",
        "MESH_REDIS_URL",
        *(f"MESH_{name.upper()}_ADDR" for name in SERVICE_NAMES),
    }
)
IDENTITY_ONLY = ("MESH_ADMIN_ACCOUNT", "MESH_ADMIN_PASSWORD")
CHAT_ONLY = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "MESH_DEFAULT_MODEL")
# Mesh credential keys an operator sets: each side gets its own private key only (unset, both derive from the secret).
GATEWAY_ONLY = ("MESH_GATEWAY_TOKEN_KEY",)
SERVICES_ONLY = ("MESH_SERVICE_TOKEN_KEY",)
# The launcher's own knobs (crash budget); never handed to a child.
LAUNCHER_PREFIX = "MESH_LAUNCHER_"


def passed_through(env: Mapping[str, str]) -> dict[str, str]:
    """The MESH_ settings an operator set for the services (upload limits, engines, timeouts, …)."""
    withheld = LAUNCHER_OWNED | set(IDENTITY_ONLY) | set(CHAT_ONLY)
    return {
        key: value
        for key, value in env.items()
        if key.startswith("MESH_") and key not in withheld and not key.startswith(LAUNCHER_PREFIX)
    }


@dataclass
class LaunchConfig:
    """What `make run` is told through its variables."""

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path(".data")
    admin_account: str = ""
    admin_password: str = ""
    openai: dict[str, str] = field(default_factory=dict)
    log_to_files: bool = False
    # MESH_ settings handed to every child; from_env fills it, tests set it explicitly.
    settings: dict[str, str] = field(default_factory=dict)
    restart_policy: RestartPolicy = field(default_factory=RestartPolicy)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LaunchConfig:
        source = os.environ if env is None else env
        default_policy = RestartPolicy()
        return cls(
            host=source.get("MESH_HOST") or "127.0.0.1",
            port=int(source.get("MESH_PORT") or 8080),
            data_dir=Path(source.get("MESH_DATA_DIR") or ".data"),
            admin_account=source.get("MESH_ADMIN_ACCOUNT", ""),
            admin_password=source.get("MESH_ADMIN_PASSWORD", ""),
            openai={k: source[k] for k in CHAT_ONLY if source.get(k)},
            settings=passed_through(source),
            restart_policy=RestartPolicy(
                max_crashes=int(source.get("MESH_LAUNCHER_MAX_CRASHES") or default_policy.max_crashes),
                window_s=float(source.get("MESH_LAUNCHER_CRASH_WINDOW_S") or default_policy.window_s),
            ),
        )


def _report(line: str) -> None:
    sys.stderr.write(f"launcher: {line}\n")
    sys.stderr.flush()


class MeshStartError(RuntimeError):
    """A child exited or the mesh was not ready in time; everything started has been stopped."""


class Mesh:
    """The running system; use as a context manager or call start()/stop()."""

    def __init__(self, config: LaunchConfig) -> None:
        self.config = config
        self.data_dir = config.data_dir.resolve()
        self.nats: NatsServer | None = None
        self.valkey: ValkeyServer | None = None
        self.service_ports: dict[str, int] = {}
        # Each service's Prometheus /metrics port (the gateway's is its HTTP port).
        self.metrics_ports: dict[str, int] = {}
        self.generated_admin_password: str | None = None
        self.supervisor = Supervisor(policy=config.restart_policy, report=_report)
        self._children: dict[str, ChildProcess] = {}
        self._logs: list[IO[bytes]] = []

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.config.port}"

    @property
    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        """The current process of each service and the gateway (a restart replaces it)."""
        return {name: child.process for name, child in self._children.items() if child.process is not None}

    @property
    def failure(self) -> str | None:
        """Why the supervisor stopped the mesh on its own (a crash loop), if it did."""
        return self.supervisor.failure

    def _secret_key(self) -> str:
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def _child_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MESH_", "OPENAI_"))}
        assert self.nats is not None and self.valkey is not None
        env.update({"MESH_ENV": "dev", "MESH_SECRET_KEY": self._secret_key(), "PYTHONUNBUFFERED": "1"})
        env.update(self.config.settings)
        env.update(
            {
                "MESH_DATA_DIR": str(self.data_dir),
                "MESH_GRPC_BIND_HOST": "127.0.0.1",
                "MESH_NATS_URL": self.nats.url,
                "MESH_REDIS_URL": self.valkey.url,
            }
        )
        for name, port in self.service_ports.items():
            env[f"MESH_{name.upper()}_ADDR"] = f"127.0.0.1:{port}"
        return env

    def _log_file(self, name: str) -> IO[bytes] | None:
        if not self.config.log_to_files:
            return None
        log_dir = self.data_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        handle = open(log_dir / f"{name}.log", "ab")
        self._logs.append(handle)
        return handle

    def _add_child(self, name: str, module: str, env: dict[str, str], *, stop_group: int) -> None:
        child = ChildProcess(name, [sys.executable, "-m", module], env, REPO_ROOT, self._log_file(name))
        self._children[name] = child
        self.supervisor.add(child, stop_group=stop_group)

    def _boot(self) -> None:
        """Runs on the supervisor thread, which forks every child (see Supervisor)."""
        self.nats = NatsServer(self.data_dir / "nats")
        self.valkey = ValkeyServer(self.data_dir / "valkey")
        self.supervisor.add(ServerUnit("nats", self.nats), stop_group=2)
        self.supervisor.add(ServerUnit("valkey", self.valkey), stop_group=2)
        self.service_ports = {name: free_port() for name in SERVICE_NAMES}
        self.metrics_ports = {name: free_port() for name in SERVICE_NAMES}
        base_env = self._child_env()
        service_env = {k: v for k, v in base_env.items() if k not in GATEWAY_ONLY}
        for name in SERVICE_NAMES:
            env = dict(
                service_env,
                MESH_GRPC_PORT=str(self.service_ports[name]),
                MESH_METRICS_PORT=str(self.metrics_ports[name]),
            )
            if name == "identity":
                if self.config.admin_account:
                    env["MESH_ADMIN_ACCOUNT"] = self.config.admin_account
                if self.config.admin_password:
                    env["MESH_ADMIN_PASSWORD"] = self.config.admin_password
            if name == "chat":
                env.update(self.config.openai)
            self._add_child(name, f"services.{name}", env, stop_group=1)
        gateway_env = {k: v for k, v in base_env.items() if k not in SERVICES_ONLY}
        gateway_env.update(MESH_HOST=self.config.host, MESH_PORT=str(self.config.port))
        self._add_child("gateway", "gateway", gateway_env, stop_group=0)

    def start(self, *, ready_timeout_s: float = 120.0, cancel: threading.Event | None = None) -> Mesh:
        """Start everything and block until every service answers SERVING and the gateway is ready."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        password_file = self.data_dir / "admin_password"
        had_password_file = password_file.exists()
        self.supervisor.start(self._boot)
        try:
            self._wait_ready(ready_timeout_s, cancel)
        except BaseException:
            self.stop()
            raise
        self.supervisor.supervise()
        if not self.config.admin_password and not had_password_file and password_file.exists():
            self.generated_admin_password = password_file.read_text().strip()
        return self

    def _wait_ready(self, timeout_s: float, cancel: threading.Event | None) -> None:
        deadline = time.monotonic() + timeout_s
        pending = {*SERVICE_NAMES, "gateway"}
        channels = {name: self._probe_channel(port) for name, port in self.service_ports.items()}
        try:
            while pending:
                if self.supervisor.failure:
                    raise MeshStartError(self.supervisor.failure)
                if cancel is not None and cancel.is_set():
                    raise MeshStartError("start cancelled")
                if time.monotonic() > deadline:
                    raise MeshStartError(f"not ready after {timeout_s:g}s: waiting for {', '.join(sorted(pending))}")
                for name in sorted(pending - {"gateway"}):
                    if _serving(channels[name]):
                        pending.discard(name)
                if "gateway" in pending and self._gateway_ready():
                    pending.discard("gateway")
                time.sleep(0.2)
        finally:
            for channel in channels.values():
                channel.close()

    def _probe_channel(self, port: int) -> grpc.Channel:
        """A channel for health checks: with MESH_GRPC_TLS_* set, the services' port wants a client certificate."""
        settings = self.config.settings
        tls = MeshTls.from_files(
            cert_file=settings.get("MESH_GRPC_TLS_CERT_FILE", ""),
            key_file=settings.get("MESH_GRPC_TLS_KEY_FILE", ""),
            ca_file=settings.get("MESH_GRPC_TLS_CA_FILE", ""),
        )
        target = f"127.0.0.1:{port}"
        return grpc.insecure_channel(target) if tls is None else grpc.secure_channel(target, tls.channel_credentials())

    def _gateway_ready(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/readyz", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, *, grace_s: float = 25.0) -> None:
        """SIGTERM the gateway first, then services, then NATS and Valkey; SIGKILL what lingers."""
        self.supervisor.stop(grace_s=grace_s)
        self.valkey = self.nats = None
        for handle in self._logs:
            handle.close()
        self._logs.clear()

    def __enter__(self) -> Mesh:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _serving(channel: grpc.Channel) -> bool:
    try:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=1.0)
    except grpc.RpcError:
        return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def run(config: LaunchConfig, *, notes: Sequence[tuple[str, str]] = ()) -> int:
    """Start the mesh in the foreground until Ctrl-C, SIGTERM, or the parent (make) goes away; the exit code."""
    # A parent that ends without passing a signal on (a SIGKILLed make, a closed terminal) stops us too.
    set_parent_death_signal(signal.SIGTERM, expected_parent=os.getppid())
    mesh = Mesh(config)
    stopping = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    # `kill -INT <make>` reaches make alone, and make then waits for us forever: notice it and stop.
    watch_parent_interrupt(stopping)
    try:
        mesh.start(cancel=stopping)
    except MeshStartError as error:
        if stopping.is_set():
            sys.stdout.write("MeshConsole stopped before it was ready\n")
            return 0
        sys.stderr.write(f"MeshConsole did not start: {error}\n")
        return 1
    sys.stdout.write(ready_banner(mesh, notes=notes, color=sys.stdout.isatty()))
    sys.stdout.flush()
    while not stopping.is_set() and not mesh.supervisor.finished.is_set():
        stopping.wait(0.5)
    mesh.stop()
    if mesh.failure:
        sys.stderr.write(f"MeshConsole stopped: {mesh.failure}\n")
        return 1
    sys.stdout.write("MeshConsole stopped\n")
    return 0


def main() -> int:
    """`make run`: the mesh as MESH_* and OPENAI_* describe it."""
    return run(LaunchConfig.from_env())


if __name__ == "__main__":
    raise SystemExit(main())
