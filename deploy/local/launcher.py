"""Starts NATS, Valkey, the seven services and the gateway as child processes; stops them cleanly."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from services.kit.settings import SERVICE_NAMES
from services.kit.testing.servers import NatsServer, ValkeyServer, free_port

# The only variables the launcher reads; everything else the children need is computed here.
LAUNCHER_VARIABLES = (
    "MESH_HOST",
    "MESH_PORT",
    "MESH_DATA_DIR",
    "MESH_ADMIN_ACCOUNT",
    "MESH_ADMIN_PASSWORD",
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
    "MESH_DEFAULT_MODEL",
)
CHAT_ONLY = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "MESH_DEFAULT_MODEL")


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

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> LaunchConfig:
        source = os.environ if env is None else env
        return cls(
            host=source.get("MESH_HOST") or "127.0.0.1",
            port=int(source.get("MESH_PORT") or 8080),
            data_dir=Path(source.get("MESH_DATA_DIR") or ".data"),
            admin_account=source.get("MESH_ADMIN_ACCOUNT", ""),
            admin_password=source.get("MESH_ADMIN_PASSWORD", ""),
            openai={k: source[k] for k in CHAT_ONLY if source.get(k)},
        )


class Mesh:
    """The running system; use as a context manager or call start()/stop()."""

    def __init__(self, config: LaunchConfig) -> None:
        self.config = config
        self.data_dir = config.data_dir.resolve()
        self.nats: NatsServer | None = None
        self.valkey: ValkeyServer | None = None
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[IO[bytes]] = []
        self.service_ports: dict[str, int] = {}
        self.generated_admin_password: str | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.config.port}"

    def _secret_key(self) -> str:
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def _child_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MESH_", "OPENAI_"))}
        assert self.nats is not None and self.valkey is not None
        env.update(
            {
                "MESH_ENV": "dev",
                "MESH_DATA_DIR": str(self.data_dir),
                "MESH_NATS_URL": self.nats.url,
                "MESH_REDIS_URL": self.valkey.url,
                "MESH_SECRET_KEY": self._secret_key(),
                "PYTHONUNBUFFERED": "1",
            }
        )
        for name, port in self.service_ports.items():
            env[f"MESH_{name.upper()}_ADDR"] = f"127.0.0.1:{port}"
        return env

    def _spawn(self, name: str, module: str, env: dict[str, str]) -> None:
        stdout: IO[bytes] | int | None = None
        if self.config.log_to_files:
            log_dir = self.data_dir / "logs"
            log_dir.mkdir(parents=True, exist_ok=True)
            handle = open(log_dir / f"{name}.log", "ab")
            self._logs.append(handle)
            stdout = handle
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", module],
            env=env,
            stdout=stdout,
            stderr=subprocess.STDOUT if stdout else None,
            cwd=Path(__file__).resolve().parents[2],
            start_new_session=True,
        )

    def start(self, *, ready_timeout_s: float = 120.0) -> Mesh:
        """Start everything and block until /readyz answers 200."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        password_file = self.data_dir / "admin_password"
        had_password_file = password_file.exists()
        self.nats = NatsServer(self.data_dir / "nats").start()
        self.valkey = ValkeyServer(self.data_dir / "valkey").start()
        self.service_ports = {name: free_port() for name in SERVICE_NAMES}
        base_env = self._child_env()
        for name in SERVICE_NAMES:
            env = dict(base_env, MESH_GRPC_PORT=str(self.service_ports[name]))
            if name == "identity":
                if self.config.admin_account:
                    env["MESH_ADMIN_ACCOUNT"] = self.config.admin_account
                if self.config.admin_password:
                    env["MESH_ADMIN_PASSWORD"] = self.config.admin_password
            if name == "chat":
                env.update(self.config.openai)
            self._spawn(name, f"services.{name}", env)
        gateway_env = dict(base_env, MESH_HOST=self.config.host, MESH_PORT=str(self.config.port))
        self._spawn("gateway", "gateway", gateway_env)
        self._wait_ready(ready_timeout_s)
        if not self.config.admin_password and not had_password_file and password_file.exists():
            self.generated_admin_password = password_file.read_text().strip()
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"{name} exited with code {process.returncode} during start")
            try:
                reply = httpx.get(f"{self.base_url}/readyz", timeout=2.0)
                if reply.status_code == 200:
                    return
                last = reply.text
            except httpx.HTTPError as error:
                last = str(error)
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"mesh not ready after {timeout_s}s: {last}")

    def stop(self, *, grace_s: float = 25.0) -> None:
        """SIGTERM the gateway first, then services, then NATS and Valkey; SIGKILL what lingers."""
        order = ["gateway", *[n for n in SERVICE_NAMES if n in self.processes]]
        for group in (["gateway"], order[1:]):
            for name in group:
                process = self.processes.get(name)
                if process and process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + grace_s
            for name in group:
                process = self.processes.get(name)
                if process is None:
                    continue
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.processes.clear()
        for server in (self.valkey, self.nats):
            if server is not None:
                server.stop()
        self.valkey = self.nats = None
        for handle in self._logs:
            handle.close()
        self._logs.clear()

    def __enter__(self) -> Mesh:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> int:
    """`make run`: start the mesh in the foreground until Ctrl-C or SIGTERM."""
    config = LaunchConfig.from_env()
    mesh = Mesh(config)
    stopping = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    mesh.start()
    sys.stdout.write(f"MeshConsole gateway listening on {mesh.base_url}  (data in {mesh.data_dir})\n")
    if mesh.generated_admin_password:
        sys.stdout.write(
            f"Admin account {config.admin_account or 'admin@meshconsole.local'} "
            f"password (shown once, kept in {mesh.data_dir / 'admin_password'}): "
            f"{mesh.generated_admin_password}\n"
        )
    sys.stdout.flush()
    while not stopping.is_set():
        for name, process in mesh.processes.items():
            if process.poll() is not None:
                sys.stderr.write(f"{name} exited with code {process.returncode}; stopping\n")
                stopping.set()
                break
        stopping.wait(1.0)
    mesh.stop()
    sys.stdout.write("MeshConsole stopped\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
