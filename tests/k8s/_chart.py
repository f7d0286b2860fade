"""Render the Helm chart in k8s/ with the real Helm engine (helm-python-sdk) and index the result."""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART_DIR = REPO / "k8s"
CI_DIR = CHART_DIR / "ci"

RELEASE = "demo"
NAMESPACE = "mesh"
FULLNAME = f"{RELEASE}-meshconsole"

SERVICES = ("identity", "apps", "chat", "retrieval", "files", "voice", "meetings")
COMPONENTS = ("gateway", *SERVICES)

# Oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and a current one.
KUBE_VERSIONS = ("1.29.0", "1.37.0")


def value_sets() -> dict[str, Path | None]:
    """The chart's default values plus every k8s/ci/*.yaml."""
    sets: dict[str, Path | None] = {"default": None}
    for path in sorted(CI_DIR.glob("*.yaml")):
        sets[path.stem] = path
    return sets


def load_values(name: str) -> dict[str, Any] | None:
    path = value_sets()[name]
    return None if path is None else yaml.safe_load(path.read_text())


def render(values: dict[str, Any] | None = None, *, release: str = RELEASE) -> list[dict[str, Any]]:
    """Every manifest the chart renders for `values`, parsed (NOTES.txt left out)."""
    with helm.Chart.load(CHART_DIR) as chart:
        rendered = chart.render(values=values, name=release, namespace=NAMESPACE, is_install=True)
    manifests: list[dict[str, Any]] = []
    for template, text in sorted(rendered.items()):
        if not template.endswith((".yaml", ".yml")):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                doc.setdefault("metadata", {}).setdefault("annotations", {})
                manifests.append(doc)
    return manifests


@dataclass
class Rendered:
    """A rendered value set, indexed by kind and name."""

    name: str
    values: dict[str, Any] | None
    merged: dict[str, Any]
    manifests: list[dict[str, Any]]
    by_kind: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for doc in self.manifests:
            self.by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc

    def kind(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.by_kind.get(kind, {})

    def component(self, kind: str, component: str) -> dict[str, Any]:
        return self.kind(kind)[f"{FULLNAME}-{component}"]

    def container(self, component: str) -> dict[str, Any]:
        containers = self.component("Deployment", component)["spec"]["template"]["spec"]["containers"]
        assert len(containers) == 1
        return containers[0]

    def config(self, component: str) -> dict[str, str]:
        """The component's non-secret environment (its ConfigMap, loaded with envFrom)."""
        container = self.container(component)
        names = [ref["configMapRef"]["name"] for ref in container.get("envFrom", [])]
        data: dict[str, str] = {}
        for name in names:
            data.update(self.kind("ConfigMap")[name]["data"])
        return data

    def env(self, component: str) -> dict[str, dict[str, Any]]:
        return {entry["name"]: entry for entry in self.container(component).get("env", [])}

    def component_settings(self, component: str) -> dict[str, Any]:
        """`default:` merged with `components.<name>:`, as the chart does it."""
        return deep_merge(self.merged["default"], self.merged["components"][component] or {})

    def secret_values(self) -> dict[str, str]:
        """Decoded data of every Secret the chart renders."""
        out: dict[str, str] = {}
        for secret in self.kind("Secret").values():
            for key, value in (secret.get("data") or {}).items():
                out[key] = base64.b64decode(value).decode()
            out.update(secret.get("stringData") or {})
        return out


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def rendered_values(name: str, values: dict[str, Any] | None) -> Rendered:
    """Render `values` (overrides of the chart's defaults) and index the result."""
    with helm.Chart.load(CHART_DIR) as chart:
        merged = chart.merge_values(values)
    return Rendered(name=name, values=values, merged=merged, manifests=render(values))


@functools.cache
def rendered(name: str) -> Rendered:
    return rendered_values(name, load_values(name))
