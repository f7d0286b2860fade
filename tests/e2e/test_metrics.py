"""Every process of the mesh serves Prometheus metrics that prometheus_client's own parser reads."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from services.kit.settings import SERVICE_NAMES
from tests.e2e.conftest import MeshClient


def scrape(url: str) -> dict[str, list[tuple[str, dict[str, str], float]]]:
    reply = httpx.get(url, timeout=10)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain"), reply.text[:200]
    return {
        family.name: [(s.name, dict(s.labels), s.value) for s in family.samples]
        for family in text_string_to_metric_families(reply.text)
    }


def test_every_service_and_the_gateway_serve_parseable_metrics(mesh: MeshClient) -> None:
    mesh.admin_token()  # at least one call to identity, answered OK
    ports = mesh.mesh.metrics_ports
    assert set(ports) == set(SERVICE_NAMES)
    for name, port in ports.items():
        families = scrape(f"http://127.0.0.1:{port}/metrics")
        for family in ("mesh_grpc_server_requests", "mesh_grpc_server_request_seconds", "mesh_grpc_server_in_flight"):
            assert family in families, (name, sorted(families))
    identity = scrape(f"http://127.0.0.1:{ports['identity']}/metrics")["mesh_grpc_server_requests"]
    logins = [v for n, labels, v in identity if labels.get("method", "").endswith("/Login") and labels["code"] == "OK"]
    assert logins and logins[0] >= 1
    gateway = scrape(f"{mesh.mesh.base_url}/metrics")
    assert "mesh_gateway_requests" in gateway
