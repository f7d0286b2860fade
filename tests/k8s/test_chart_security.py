"""NetworkPolicies: rendered and valid, and letting through exactly the mesh's own traffic."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest

from tests.k8s._chart import (
    COMPONENTS,
    FULLNAME,
    KUBE_VERSIONS,
    NAMESPACE,
    SERVICES,
    Rendered,
    render,
    rendered,
    value_sets,
)
from tests.k8s._netpol import NAMESPACE_LABEL, Endpoint, allowed, connects, selects

VALUE_SETS = list(value_sets())

# The backends each component's environment points at (the chart's contract, see _helpers.tpl).
USES = {
    "gateway": {"redis", "nats"},
    **{name: {"postgresql", "redis", "nats"} for name in SERVICES},
}
USES["chat"] = USES["chat"] | {"llm"}
USES["voice"] = USES["voice"] | {"llm"}
USES["retrieval"] = USES["retrieval"] | {"elasticsearch"}
USES["files"] = USES["files"] | {"minio"}
BACKENDS = ("postgresql", "redis", "nats", "elasticsearch", "minio", "llm")

STRANGER = Endpoint("10.1.9.9", NAMESPACE, {"app": "debug-shell"})
PUBLIC = Endpoint("203.0.113.10")
METADATA = Endpoint("169.254.169.254")
PRIVATE = Endpoint("10.3.3.3")
KUBE_DNS = Endpoint("10.96.0.10", "kube-system", {"k8s-app": "kube-dns"})


def pods(r: Rendered) -> dict[str, Endpoint]:
    """One pod of each component, with the labels its Deployment gives it."""
    out = {}
    for i, component in enumerate(COMPONENTS):
        labels = r.component("Deployment", component)["spec"]["template"]["metadata"]["labels"]
        out[component] = Endpoint(f"10.1.0.{i + 1}", NAMESPACE, dict(labels))
    return out


def policies(r: Rendered) -> list[dict[str, Any]]:
    return list(r.kind("NetworkPolicy").values())


def url_port(url: str) -> int:
    parts = urlsplit(url if "://" in url else f"x://{url}")
    return parts.port or {"https": 443, "http": 80}.get(parts.scheme, 4222)


def backend_ports(values: dict[str, Any]) -> dict[str, list[int]]:
    minio = ("https://" if values["minio"]["secure"] else "http://") + values["minio"]["endpoint"]
    return {
        "postgresql": [values["postgresql"]["port"]],
        "redis": [values["redis"]["port"]],
        "nats": sorted({url_port(u.strip()) for u in values["nats"]["url"].split(",")}),
        "elasticsearch": [url_port(values["elasticsearch"]["url"])],
        "minio": [url_port(minio)],
        "llm": [url_port(values["llm"]["baseUrl"])],
    }


def open_to_anyone(values: dict[str, Any], component: str, port: int) -> bool:
    """Whether one of the component's backends is allowed on `port` at any address (no peers named)."""
    ports, egress = backend_ports(values), values["networkPolicy"]["egress"]
    return any(port in ports[b] and not egress[b] for b in USES[component])


def backend_pod(values: dict[str, Any], backend: str, i: int) -> Endpoint:
    """A backend pod in the namespace the value set names for it (any namespace when it names none)."""
    peers = values["networkPolicy"]["egress"][backend]
    namespace = "data"
    for peer in peers:
        namespace = (peer.get("namespaceSelector") or {}).get("matchLabels", {}).get(NAMESPACE_LABEL, namespace)
    return Endpoint(f"10.2.0.{i + 1}", namespace, {"app": backend})


# --------------------------------------------------------------------------- rendered and valid
@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("name", VALUE_SETS)
def test_policies_render_and_validate(name: str, kube_version: str) -> None:
    found = rendered(name).kind("NetworkPolicy")
    assert set(found) == {f"{FULLNAME}-default-deny", *(f"{FULLNAME}-{c}" for c in COMPONENTS)}
    for doc in found.values():
        assert doc["apiVersion"] == "networking.k8s.io/v1"
        kubernetes_validate.validate(doc, kube_version, strict=True)


@pytest.mark.parametrize("name", VALUE_SETS)
def test_each_policy_selects_its_component_only(name: str) -> None:
    r = rendered(name)
    everyone = pods(r)
    deny = r.kind("NetworkPolicy")[f"{FULLNAME}-default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"]
    assert not deny.get("ingress") and not deny.get("egress")
    for pod in everyone.values():
        for direction in ("Ingress", "Egress"):
            assert not allowed([{"metadata": {}, "spec": deny}], direction=direction, pod=pod, other=STRANGER, port=1)
    for component in COMPONENTS:
        spec = r.component("NetworkPolicy", component)["spec"]
        assert spec["policyTypes"] == ["Ingress", "Egress"]
        chosen = {c for c, pod in everyone.items() if selects(spec["podSelector"], pod.labels)}
        assert chosen == {component}


# --------------------------------------------------------------------------- ingress
@pytest.mark.parametrize("name", VALUE_SETS)
def test_services_accept_only_the_gateway_and_their_peers(name: str) -> None:
    r = rendered(name)
    rules, everyone, grpc = policies(r), pods(r), r.merged["grpcPort"]
    gateway = everyone["gateway"]
    impostor = Endpoint("10.4.0.1", "elsewhere", gateway.labels)  # the gateway's labels, another namespace
    stray = Endpoint("10.1.9.8", NAMESPACE, {**everyone["chat"].labels, "app.kubernetes.io/component": "migrator"})
    for service in SERVICES:
        target = everyone[service]
        assert connects(rules, gateway, target, grpc), service
        for peer in SERVICES:
            assert connects(rules, everyone[peer], target, grpc), (peer, service)
        for intruder in (STRANGER, impostor, stray, PUBLIC):
            assert not allowed(rules, direction="Ingress", pod=target, other=intruder, port=grpc), (intruder, service)
        for port in (22, r.merged["mtls"]["healthPort"], r.merged["gateway"]["port"]):
            assert not connects(rules, gateway, target, port), (service, port)


@pytest.mark.parametrize("name", VALUE_SETS)
def test_gateway_accepts_http_from_gateway_from_only(name: str) -> None:
    r = rendered(name)
    rules, gateway, http = policies(r), pods(r)["gateway"], r.merged["gateway"]["port"]
    sources = r.merged["networkPolicy"]["gatewayFrom"]
    assert not allowed(rules, direction="Ingress", pod=gateway, other=STRANGER, port=22)
    if not sources:
        for anyone in (STRANGER, PUBLIC):
            assert allowed(rules, direction="Ingress", pod=gateway, other=anyone, port=http)
        return
    namespace = sources[0]["namespaceSelector"]["matchLabels"][NAMESPACE_LABEL]
    controller = Endpoint("10.5.0.1", namespace, {"app.kubernetes.io/name": "ingress-nginx"})
    assert allowed(rules, direction="Ingress", pod=gateway, other=controller, port=http)
    for anyone in (STRANGER, PUBLIC):
        assert not allowed(rules, direction="Ingress", pod=gateway, other=anyone, port=http)


# --------------------------------------------------------------------------- egress
@pytest.mark.parametrize("name", VALUE_SETS)
def test_each_component_reaches_only_the_backends_it_uses(name: str) -> None:
    r = rendered(name)
    rules, everyone, ports = policies(r), pods(r), backend_ports(r.merged)
    for component, pod in everyone.items():
        for i, backend in enumerate(BACKENDS):
            target = backend_pod(r.merged, backend, i)
            for port in ports[backend]:
                expected = backend in USES[component]
                assert connects(rules, pod, target, port) is expected, (component, backend, port)
            # Only the backend's own port: not an arbitrary one on the same host.
            assert not connects(rules, pod, target, 2222), (component, backend)


@pytest.mark.parametrize("name", VALUE_SETS)
def test_dns_and_the_mesh_are_reachable_but_not_the_metadata_server(name: str) -> None:
    r = rendered(name)
    rules, everyone = policies(r), pods(r)
    internet = r.merged["networkPolicy"]["egress"]["internet"]
    for component, pod in everyone.items():
        assert connects(rules, pod, KUBE_DNS, 53, "UDP") and connects(rules, pod, KUBE_DNS, 53, "TCP"), component
        assert not connects(rules, pod, everyone["gateway"], r.merged["gateway"]["port"]), component
        assert connects(rules, pod, METADATA, 80) is open_to_anyone(r.merged, component, 80), component
        assert connects(rules, pod, PRIVATE, 8080) is open_to_anyone(r.merged, component, 8080), component
        fetches = internet["enabled"] and component in internet["components"]
        for port in (443, 8443):
            expected = fetches or open_to_anyone(r.merged, component, port)
            assert connects(rules, pod, PUBLIC, port) is expected, (component, port)
    if name == "default":
        # The default backend ports are none of these: metadata and private web ports stay closed.
        assert not any(
            connects(rules, pod, target, port)
            for pod in everyone.values()
            for target, port in ((METADATA, 80), (PRIVATE, 8080))
        )


def test_security_values_add_their_extra_rules() -> None:
    r = rendered("security-values")
    rules, everyone = policies(r), pods(r)
    ollama = Endpoint("10.6.0.1", "inference", {"app.kubernetes.io/name": "ollama"})
    assert connects(rules, everyone["chat"], ollama, 11434)
    assert not connects(rules, everyone["apps"], ollama, 11434)
    assert not connects(rules, everyone["chat"], ollama, 22)
    prometheus = Endpoint("10.7.0.1", "monitoring", {"app.kubernetes.io/name": "prometheus"})
    assert allowed(rules, direction="Ingress", pod=everyone["gateway"], other=prometheus, port=8080)
    assert not connects(rules, everyone["retrieval"], PUBLIC, 443), "retrieval is off the internet list here"
    assert not connects(rules, everyone["chat"], Endpoint("10.9.9.9", "other", {"k8s-app": "kube-dns"}), 53, "UDP")


def test_backend_ports_follow_the_configured_addresses() -> None:
    values = {
        "postgresql": {"port": 6432},
        "elasticsearch": {"url": "https://es.search.svc:9243"},
        "nats": {"url": "nats://nats-0:4223, tls://nats-1:4224"},
        "minio": {"endpoint": "s3.storage.svc", "secure": True},
        "llm": {"baseUrl": "http://vllm.inference.svc:8000/v1"},
        "voice": {"openaiBaseUrl": "https://audio.example.com/v1"},
    }
    docs = render(values)
    rules = [d for d in docs if d["kind"] == "NetworkPolicy"]
    r = rendered("default")
    everyone, db = pods(r), Endpoint("10.2.0.1", "data", {})
    assert connects(rules, everyone["identity"], db, 6432) and not connects(rules, everyone["identity"], db, 5432)
    assert connects(rules, everyone["retrieval"], db, 9243) and not connects(rules, everyone["retrieval"], db, 9200)
    for port in (4223, 4224):
        assert connects(rules, everyone["gateway"], db, port)
    assert connects(rules, everyone["files"], db, 443) and not connects(rules, everyone["files"], db, 9000)
    assert connects(rules, everyone["chat"], db, 8000) and not connects(rules, everyone["voice"], db, 8000)
    assert connects(rules, everyone["voice"], db, 443)


# --------------------------------------------------------------------------- the checks can fail
def test_without_policies_everything_is_open() -> None:
    docs = render({"networkPolicy": {"enabled": False}})
    assert not [d for d in docs if d["kind"] == "NetworkPolicy"]
    everyone = pods(rendered("default"))
    assert connects([], STRANGER, everyone["identity"], 50051)


def test_a_policy_without_the_gateway_peer_refuses_the_gateway() -> None:
    r = rendered("default")
    everyone = pods(r)
    rules = copy.deepcopy(policies(r))
    identity = next(p for p in rules if p["metadata"]["name"] == f"{FULLNAME}-identity")
    identity["spec"]["ingress"][0]["from"] = identity["spec"]["ingress"][0]["from"][1:]
    assert not connects(rules, everyone["gateway"], everyone["identity"], 50051)
    assert connects(rules, everyone["chat"], everyone["identity"], 50051)
