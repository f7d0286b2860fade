"""Decide what rendered NetworkPolicies let through, by the rules of networking.k8s.io/v1."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

NAMESPACE_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Endpoint:
    """One end of a connection: a pod (namespace and labels) or a plain address outside the cluster."""

    ip: str
    namespace: str | None = None
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def is_pod(self) -> bool:
        return self.namespace is not None


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A LabelSelector against a label set; the empty selector selects everything."""
    if not (selector.get("matchLabels") or {}).items() <= labels.items():
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _peer_matches(peer: dict[str, Any], other: Endpoint, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        address = ipaddress.ip_address(other.ip)
        network = ipaddress.ip_network(block["cidr"])
        if address.version != network.version or address not in network:
            return False
        return not any(
            address in ipaddress.ip_network(cidr)
            for cidr in block.get("except") or []
            if ipaddress.ip_network(cidr).version == address.version
        )
    if not other.is_pod:
        return False
    if "namespaceSelector" in peer:
        namespace_labels = {NAMESPACE_LABEL: other.namespace or ""}
        if not selects(peer["namespaceSelector"], namespace_labels):
            return False
    elif other.namespace != policy_namespace:
        return False  # a podSelector alone means the policy's own namespace
    return selects(peer.get("podSelector") or {}, other.labels)


def _port_matches(rule_ports: list[dict[str, Any]] | None, port: int, protocol: str) -> bool:
    if not rule_ports:
        return True
    for entry in rule_ports:
        if entry.get("protocol", "TCP") != protocol:
            continue
        if "port" not in entry:
            return True
        assert isinstance(entry["port"], int), "the chart writes port numbers, never names"
        if entry["port"] <= port <= entry.get("endPort", entry["port"]):
            return True
    return False


def _rule_allows(rule: dict[str, Any], peers_key: str, other: Endpoint, namespace: str, port: int, proto: str) -> bool:
    peers = rule.get(peers_key)
    peer_ok = not peers or any(_peer_matches(peer, other, namespace) for peer in peers)
    return peer_ok and _port_matches(rule.get("ports"), port, proto)


def allowed(
    policies: list[dict[str, Any]],
    *,
    direction: str,
    pod: Endpoint,
    other: Endpoint,
    port: int,
    protocol: str = "TCP",
) -> bool:
    """Whether `pod` may receive from (Ingress) or send to (Egress) `other` on `port`."""
    assert direction in ("Ingress", "Egress")
    rules_key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    isolating = [
        p
        for p in policies
        if p["metadata"].get("namespace", pod.namespace) == pod.namespace
        and selects(p["spec"]["podSelector"], pod.labels)
        and direction in p["spec"].get("policyTypes", ["Ingress"])
    ]
    if not isolating:
        return True  # a pod no policy selects is not isolated
    namespace = pod.namespace or ""
    return any(
        _rule_allows(rule, peers_key, other, namespace, port, protocol)
        for policy in isolating
        for rule in policy["spec"].get(rules_key) or []
    )


def connects(
    policies: list[dict[str, Any]], source: Endpoint, target: Endpoint, port: int, protocol: str = "TCP"
) -> bool:
    """A connection needs the source pod's egress and the target pod's ingress to allow it."""
    if source.is_pod and not allowed(
        policies, direction="Egress", pod=source, other=target, port=port, protocol=protocol
    ):
        return False
    return not target.is_pod or allowed(
        policies, direction="Ingress", pod=target, other=source, port=port, protocol=protocol
    )
