"""Observability in the chart: metrics ports, the optional monitors, the Grafana dashboard, tracing settings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import helm_python as helm
import jsonschema
import pytest
from prometheus_client import REGISTRY

import gateway.middleware
import services.chat.generation.metrics
import services.kit.metrics
import services.retrieval.metrics
from tests.k8s._chart import CHART_DIR, COMPONENTS, FULLNAME, NAMESPACE, SERVICES, Rendered, rendered, rendered_values
from tests.k8s._netpol import NAMESPACE_LABEL, Endpoint, allowed, connects

DASHBOARD = CHART_DIR / "dashboards" / "meshconsole.json"
MONITOR_SCHEMA = json.loads((Path(__file__).parent / "data" / "monitoring-coreos-v1.schema.json").read_text())
METRIC_MODULES = (
    gateway.middleware,
    services.kit.metrics,
    services.chat.generation.metrics,
    services.retrieval.metrics,
)
PROMETHEUS = Endpoint("10.9.0.1", "monitoring", {"app.kubernetes.io/name": "prometheus"})
STRANGER = Endpoint("10.1.9.9", NAMESPACE, {"app": "debug-shell"})
COLLECTOR = Endpoint("10.9.1.1", "observability", {"app": "otel-collector"})


def monitored() -> Rendered:
    return rendered("monitoring-values")


def monitors(r: Rendered) -> list[dict[str, Any]]:
    return [doc for doc in r.manifests if doc["apiVersion"].startswith("monitoring.coreos.com/")]


def pods_of(r: Rendered) -> dict[str, Endpoint]:
    return {
        c: Endpoint(
            f"10.1.0.{i + 1}", NAMESPACE, r.component("Deployment", c)["spec"]["template"]["metadata"]["labels"]
        )
        for i, c in enumerate(COMPONENTS)
    }


# --------------------------------------------------------------------------- the dashboard
def dashboard() -> dict[str, Any]:
    return dict(json.loads(DASHBOARD.read_text()))


def known_series() -> set[str]:
    """Every series name the code exports (counters with _total, histograms with _bucket/_sum/_count)."""
    assert METRIC_MODULES  # imported for their metrics, which register on import
    names: set[str] = set()
    for family in REGISTRY.collect():
        names |= {family.name, *(s.name for s in family.samples)}
        if family.type == "histogram":
            names |= {f"{family.name}_{suffix}" for suffix in ("bucket", "sum", "count")}
        if family.type == "counter":
            names.add(f"{family.name}_total")
    return names


def test_the_dashboard_is_valid_grafana_json() -> None:
    board = dashboard()
    assert board["uid"] == "meshconsole-overview" and board["title"] and board["schemaVersion"] >= 36
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    cells: set[tuple[int, int]] = set()
    for panel in board["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        covered = {
            (x, y) for x in range(grid["x"], grid["x"] + grid["w"]) for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not covered & cells, f"{panel['title']} overlaps another panel"
        cells |= covered
        if panel["type"] == "row":
            continue
        assert panel["type"] == "timeseries" and panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"] and all(t["expr"] and t["refId"] for t in panel["targets"]), panel["title"]
        for target in panel["targets"]:
            assert target["expr"].count("(") == target["expr"].count(")"), target["expr"]
            assert 'namespace=~"$namespace"' in target["expr"], target["expr"]


def test_every_series_the_dashboard_queries_exists_in_the_code() -> None:
    exprs = [t["expr"] for p in dashboard()["panels"] for t in p.get("targets", [])]
    queried = {name for expr in exprs for name in re.findall(r"\bmesh_[a-z_]+\b", expr)}
    missing = queried - known_series()
    assert not missing, f"the dashboard queries series nobody exports: {sorted(missing)}"


def test_the_dashboard_has_what_on_call_needs() -> None:
    exprs = " ".join(t["expr"] for p in dashboard()["panels"] for t in p.get("targets", []))
    for series in (
        "mesh_gateway_requests_total",  # request rate and errors at the edge
        "mesh_gateway_request_seconds_bucket",  # latency at the edge
        "mesh_grpc_server_requests_total",  # per-service rate and errors
        "mesh_grpc_server_request_seconds_bucket",  # per-service latency
        "mesh_generation_time_to_first_token_seconds_bucket",
        "mesh_generation_tokens_per_second_bucket",
        "mesh_generation_upstream_errors_total",
        "mesh_workqueue_pending",
        "mesh_workqueue_dead_letters_total",
        "mesh_retrieval_search_seconds_bucket",
        "mesh_retrieval_indexed_chunks_total",
    ):
        assert series in exprs, series


def test_the_dashboard_configmap_carries_the_file_for_the_grafana_sidecar() -> None:
    assert f"{FULLNAME}-dashboard" not in rendered("default").kind("ConfigMap")
    config_map = monitored().kind("ConfigMap")[f"{FULLNAME}-dashboard"]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["metadata"]["annotations"]["grafana_folder"] == "MeshConsole"
    assert json.loads(config_map["data"]["meshconsole.json"]) == dashboard()


# --------------------------------------------------------------------------- the monitors
def test_monitors_are_off_by_default() -> None:
    assert not monitors(rendered("default"))


def test_monitors_match_the_schema_of_their_crds() -> None:
    found = monitors(monitored())
    assert sorted(doc["kind"] for doc in found) == ["PodMonitor", "ServiceMonitor"]
    for doc in found:
        jsonschema.validate(doc, MONITOR_SCHEMA)


def test_the_monitor_schema_can_fail() -> None:
    service_monitor = next(d for d in monitors(monitored()) if d["kind"] == "ServiceMonitor")
    misplaced = {**service_monitor, "spec": {**service_monitor["spec"], "podMetricsEndpoints": [{"port": "metrics"}]}}
    misspelt = {**service_monitor, "spec": {**service_monitor["spec"], "endpoint": [{"port": "metrics"}]}}
    bad_interval = json.loads(json.dumps(service_monitor))
    bad_interval["spec"]["endpoints"][0]["interval"] = "30 seconds"
    for broken in (misplaced, misspelt, bad_interval):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, MONITOR_SCHEMA)


def test_the_service_monitor_finds_every_component_and_its_metrics_port() -> None:
    r = monitored()
    monitor = next(d for d in monitors(r) if d["kind"] == "ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["namespaceSelector"]["matchNames"] == [NAMESPACE]
    wanted = monitor["spec"]["selector"]["matchLabels"].items()
    ports = {e["port"] for e in monitor["spec"]["endpoints"]}
    for component in COMPONENTS:
        service = r.component("Service", component)
        assert wanted <= service["metadata"]["labels"].items(), component
        scraped = {p["name"] for p in service["spec"]["ports"]} & ports
        assert scraped == {"http" if component == "gateway" else "metrics"}, component
    for endpoint in monitor["spec"]["endpoints"]:
        assert endpoint["path"] == "/metrics" and endpoint["interval"] == "30s"
        (relabel,) = endpoint["relabelings"]
        assert relabel["targetLabel"] == "component"


def test_the_pod_monitor_finds_every_pod_and_its_metrics_port() -> None:
    r = monitored()
    monitor = next(d for d in monitors(r) if d["kind"] == "PodMonitor")
    wanted = monitor["spec"]["selector"]["matchLabels"].items()
    ports = {e["port"] for e in monitor["spec"]["podMetricsEndpoints"]}
    assert {e["interval"] for e in monitor["spec"]["podMetricsEndpoints"]} == {"15s"}
    for component in COMPONENTS:
        template = r.component("Deployment", component)["spec"]["template"]
        assert wanted <= template["metadata"]["labels"].items(), component
        scraped = {p["name"] for p in r.container(component)["ports"]} & ports
        assert scraped == {"http" if component == "gateway" else "metrics"}, component


def test_services_serve_metrics_on_the_configured_port_with_scrape_annotations() -> None:
    r = rendered_values("metrics-port", {"metrics": {"port": 9100}})
    for service in SERVICES:
        assert r.config(service)["MESH_METRICS_PORT"] == "9100"
        assert {"name": "metrics", "containerPort": 9100, "protocol": "TCP"} in r.container(service)["ports"]
        annotations = r.component("Deployment", service)["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == "9100" and annotations["prometheus.io/scrape"] == "true"
    assert "MESH_METRICS_PORT" not in r.config("gateway")


# --------------------------------------------------------------------------- who may scrape
def test_prometheus_alone_scrapes_when_metrics_from_is_set() -> None:
    r = monitored()
    rules, everyone, port = list(r.kind("NetworkPolicy").values()), pods_of(r), r.merged["metrics"]["port"]
    for service in SERVICES:
        assert allowed(rules, direction="Ingress", pod=everyone[service], other=PROMETHEUS, port=port), service
        assert not allowed(rules, direction="Ingress", pod=everyone[service], other=STRANGER, port=port), service
        # Prometheus gets the metrics port, not the gRPC one.
        assert not allowed(
            rules, direction="Ingress", pod=everyone[service], other=PROMETHEUS, port=r.merged["grpcPort"]
        ), service
    gateway, http = everyone["gateway"], r.merged["gateway"]["port"]
    assert allowed(rules, direction="Ingress", pod=gateway, other=PROMETHEUS, port=http)
    assert not allowed(rules, direction="Ingress", pod=gateway, other=STRANGER, port=http)


def test_the_metrics_port_is_open_to_any_pod_by_default() -> None:
    r = rendered("default")
    rules, everyone = list(r.kind("NetworkPolicy").values()), pods_of(r)
    for service in SERVICES:
        assert allowed(rules, direction="Ingress", pod=everyone[service], other=STRANGER, port=9464), service
        assert not allowed(rules, direction="Ingress", pod=everyone[service], other=STRANGER, port=50051), service


# --------------------------------------------------------------------------- tracing
def test_tracing_is_off_unless_an_otlp_endpoint_is_set() -> None:
    for component in COMPONENTS:
        assert not {k for k in rendered("default").config(component) if k.startswith("OTEL_")}, component


def test_every_component_exports_traces_to_the_collector_when_set() -> None:
    r = monitored()
    rules, everyone = list(r.kind("NetworkPolicy").values()), pods_of(r)
    elsewhere = Endpoint("10.9.2.2", "other", {"app": "otel-collector"})
    for component in COMPONENTS:
        config = r.config(component)
        assert config["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.observability:4318"
        assert config["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio"
        assert config["OTEL_TRACES_SAMPLER_ARG"] == "0.25"
        assert connects(rules, everyone[component], COLLECTOR, 4318), component
        assert not connects(rules, everyone[component], elsewhere, 4318), component
        assert not connects(rules, everyone[component], COLLECTOR, 4317), component
    assert (
        COLLECTOR.namespace
        == r.values["networkPolicy"]["egress"]["otlp"][0]["namespaceSelector"]["matchLabels"][NAMESPACE_LABEL]
    )


@pytest.mark.parametrize(
    ("tracing", "where"),
    [
        ({"otlpEndpoint": "otel-collector:4318"}, "/tracing/otlpEndpoint"),
        ({"sampleRatio": 2}, "/tracing/sampleRatio"),
        ({"otlpEndpoint": "http://c:4318", "ratio": 0.5}, "/tracing"),
    ],
)
def test_the_schema_refuses_bad_tracing_values(tracing: dict[str, Any], where: str) -> None:
    with helm.Chart.load(CHART_DIR) as chart, pytest.raises(helm.HelmValuesError) as caught:
        chart.validate_schema({"tracing": tracing})
    assert f"at '{where}'" in str(caught.value), str(caught.value)


def test_the_schema_refuses_a_monitor_without_an_interval_unit() -> None:
    with helm.Chart.load(CHART_DIR) as chart, pytest.raises(helm.HelmValuesError, match=r"serviceMonitor/interval"):
        chart.validate_schema({"metrics": {"serviceMonitor": {"interval": "30"}}})
