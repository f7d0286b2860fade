"""Container health probe for every MeshConsole process.

    python -m deploy.healthcheck [component] [--timeout SECONDS]

* ``gateway``: HTTP ``GET http://127.0.0.1:${MESH_PORT:-8080}/healthz`` must answer 2xx.
* a service (identity, apps, chat, retrieval, files, voice, meetings): the standard
  ``grpc.health.v1.Health/Check`` on ``127.0.0.1:${MESH_GRPC_PORT:-50051}`` must answer ``SERVING``.

Exit status 0 means healthy, 1 unhealthy (the reason goes to stderr). The Dockerfile's
HEALTHCHECK and every compose healthcheck call it.

Without a component argument the component is taken from ``MESH_COMPONENT``, else from the
command line of PID 1 (the image runs ``meshconsole <component>``), so one HEALTHCHECK line
in the image serves every component.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

SERVICES = ("identity", "apps", "chat", "retrieval", "files", "voice", "meetings")
COMPONENTS = ("gateway", *SERVICES)
DEFAULT_TIMEOUT_S = 3.0


def detect_component(cmdline_path: Path = Path("/proc/1/cmdline")) -> str | None:
    """The component this container runs: MESH_COMPONENT, else the last component name in PID 1's argv."""
    named = os.environ.get("MESH_COMPONENT", "").strip()
    if named:
        return named
    try:
        argv = cmdline_path.read_bytes().split(b"\0")
    except OSError:
        return None
    for raw in reversed(argv):
        word = raw.decode(errors="replace").strip()
        if word in COMPONENTS:
            return word
    return None


def check_gateway(timeout: float) -> tuple[bool, str]:
    """GET /healthz on the gateway's own port."""
    port = os.environ.get("MESH_PORT", "8080")
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        return False, f"{url} answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"{url} unreachable: {exc}"
    if 200 <= status < 300:
        return True, f"{url} answered HTTP {status}"
    return False, f"{url} answered HTTP {status}"


def check_service(timeout: float, service: str = "") -> tuple[bool, str]:
    """grpc.health.v1 Check on the service's own gRPC port; healthy only when SERVING."""
    import grpc  # imported here so the gateway check stays light
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    port = os.environ.get("MESH_GRPC_PORT", "50051")
    target = f"127.0.0.1:{port}"
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as exc:
            code = exc.code() if hasattr(exc, "code") else None
            return False, f"grpc health on {target} failed: {code}"
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    return reply.status == health_pb2.HealthCheckResponse.SERVING, f"grpc health on {target}: {status}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.healthcheck", description=__doc__.split("\n\n")[0])
    parser.add_argument("component", nargs="?", choices=COMPONENTS, help="defaults to the running component")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds (default 3)")
    args = parser.parse_args(argv)

    component = args.component or detect_component()
    if component not in COMPONENTS:
        print(
            f"healthcheck: cannot tell which component runs here ({component!r}); "
            f"pass one of {', '.join(COMPONENTS)} or set MESH_COMPONENT",
            file=sys.stderr,
        )
        return 1
    ok, detail = check_gateway(args.timeout) if component == "gateway" else check_service(args.timeout)
    print(f"healthcheck {component}: {detail}", file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
