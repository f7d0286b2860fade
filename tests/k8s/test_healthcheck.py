"""deploy/healthcheck.py against a real gRPC health server and a real HTTP server."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from deploy import healthcheck
from tests.k8s._chart import REPO


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def grpc_health(monkeypatch: pytest.MonkeyPatch) -> Iterator[health.HealthServicer]:
    servicer = health.HealthServicer()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    monkeypatch.setenv("MESH_GRPC_PORT", str(port))
    yield servicer
    server.stop(grace=None)


class _Handler(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        code = self.status if self.path == "/healthz" else 404
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Handler]]:
    handler = type("Handler", (_Handler,), {"status": 200})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("MESH_PORT", str(server.server_address[1]))
    yield handler
    server.shutdown()
    server.server_close()


def test_service_serving_is_healthy(grpc_health: health.HealthServicer) -> None:
    grpc_health.set("", health_pb2.HealthCheckResponse.SERVING)
    assert healthcheck.main(["identity", "--timeout", "2"]) == 0


def test_service_not_serving_is_unhealthy(grpc_health: health.HealthServicer) -> None:
    grpc_health.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    assert healthcheck.main(["chat", "--timeout", "2"]) == 1


def test_service_not_listening_is_unhealthy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESH_GRPC_PORT", str(free_port()))
    assert healthcheck.main(["files", "--timeout", "0.5"]) == 1


def test_gateway_healthz(http_gateway: type[_Handler]) -> None:
    assert healthcheck.main(["gateway", "--timeout", "2"]) == 0
    http_gateway.status = 503
    assert healthcheck.main(["gateway", "--timeout", "2"]) == 1


def test_gateway_not_listening_is_unhealthy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESH_PORT", str(free_port()))
    assert healthcheck.main(["gateway", "--timeout", "0.5"]) == 1


def test_component_comes_from_pid1_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MESH_COMPONENT", raising=False)
    cmdline = tmp_path / "cmdline"
    cmdline.write_bytes(b"tini\0--\0/opt/meshconsole/bin/python\0/opt/meshconsole/bin/meshconsole\0retrieval\0")
    assert healthcheck.detect_component(cmdline) == "retrieval"
    cmdline.write_bytes(b"sleep\0infinity\0")
    assert healthcheck.detect_component(cmdline) is None
    monkeypatch.setenv("MESH_COMPONENT", "voice")
    assert healthcheck.detect_component(cmdline) == "voice"


def test_unknown_component_is_unhealthy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(healthcheck, "detect_component", lambda: None)
    assert healthcheck.main([]) == 1


def test_runs_as_a_module(grpc_health: health.HealthServicer) -> None:
    """The exact command the Dockerfile and compose run."""
    grpc_health.set("", health_pb2.HealthCheckResponse.SERVING)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "deploy.healthcheck", "meetings"], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()
    assert b"SERVING" in done.stdout
