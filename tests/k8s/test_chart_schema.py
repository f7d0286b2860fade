"""values.schema.json: good value sets pass, bad ones fail with a message that names the problem."""

from __future__ import annotations

import json

import helm_python as helm
import pytest

from tests.k8s._chart import CHART_DIR, load_values, render, value_sets


@pytest.mark.parametrize("name", list(value_sets()))
def test_value_sets_pass_the_schema(name: str) -> None:
    with helm.Chart.load(CHART_DIR) as chart:
        chart.validate_schema(load_values(name))


# (values, substrings the error message must contain)
BAD_VALUES = {
    "pull-policy": (
        {"image": {"pullPolicy": "Sometimes"}},
        ["/image/pullPolicy", "'Always', 'IfNotPresent', 'Never'"],
    ),
    "unknown-component": (
        {"components": {"billing": {"replicas": 1}}},
        ["/components", "additional properties 'billing' not allowed"],
    ),
    "misspelt-top-level-key": (
        {"ingres": {"enabled": True}},
        ["additional properties 'ingres' not allowed"],
    ),
    "negative-replicas": (
        {"components": {"chat": {"replicas": -1}}},
        ["/components/chat/replicas", "minimum: got -1, want 0"],
    ),
    "writable-root-filesystem": (
        {"default": {"securityContext": {"readOnlyRootFilesystem": False}}},
        ["/default/securityContext/readOnlyRootFilesystem", "value must be true"],
    ),
    "writable-root-filesystem-in-a-component": (
        {"components": {"voice": {"securityContext": {"readOnlyRootFilesystem": False}}}},
        ["/components/voice/securityContext/readOnlyRootFilesystem", "value must be true"],
    ),
    "capabilities-kept": (
        {"components": {"apps": {"securityContext": {"capabilities": {"drop": ["NET_RAW"]}}}}},
        ["/components/apps/securityContext/capabilities/drop"],
    ),
    "root-user": (
        {"components": {"gateway": {"podSecurityContext": {"runAsNonRoot": False}}}},
        ["/components/gateway/podSecurityContext/runAsNonRoot", "value must be true"],
    ),
    "privilege-escalation": (
        {"components": {"files": {"securityContext": {"allowPrivilegeEscalation": True}}}},
        ["/components/files/securityContext/allowPrivilegeEscalation", "value must be false"],
    ),
    "secret-in-config": (
        {"config": {"extraEnv": {"MESH_ADMIN_PASSWORD": "hunter2"}}},
        ["/config/extraEnv/MESH_ADMIN_PASSWORD", "put secrets in secrets: or secrets.existingSecret"],
    ),
    "secret-in-component-env": (
        {"components": {"chat": {"env": {"OPENAI_API_KEY": "sk-123"}}}},
        ["/components/chat/env/OPENAI_API_KEY", "this is a ConfigMap"],
    ),
    "one-database-for-all": (
        {"postgresql": {"database": "meshconsole"}},
        ["/postgresql/database", "does not match pattern", "service"],
    ),
    "url-as-minio-endpoint": (
        {"minio": {"endpoint": "http://minio:9000"}},
        ["/minio/endpoint", "does not match pattern"],
    ),
    "credentials-in-nats-url": (
        {"nats": {"url": "nats://user:pw@nats:4222"}},
        ["/nats/url", "does not match pattern"],
    ),
    "short-secret-key": (
        {"secrets": {"secretKey": "short"}},
        ["/secrets/secretKey", "minLength: got 5, want 32"],
    ),
    "ingress-without-hosts": (
        {"ingress": {"enabled": True, "hosts": []}},
        ["/ingress/hosts", "minItems: got 0, want 1"],
    ),
    "hpa-cpu-target-over-100": (
        {"default": {"autoscaling": {"targetCPUUtilizationPercentage": 150}}},
        ["/default/autoscaling/targetCPUUtilizationPercentage", "maximum: got 150, want 100"],
    ),
    "bad-memory-quantity": (
        {"components": {"retrieval": {"resources": {"limits": {"memory": "lots"}}}}},
        ["/components/retrieval/resources/limits/memory", "does not match pattern"],
    ),
    "missing-resources-in-default": (
        {"default": {"resources": None}},
        ["/default", "missing property 'resources'"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_VALUES))
def test_bad_values_fail_with_a_clear_message(case: str) -> None:
    values, expected = BAD_VALUES[case]
    with helm.Chart.load(CHART_DIR) as chart, pytest.raises(helm.HelmValuesError) as caught:
        chart.validate_schema(values)
    message = str(caught.value)
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_install_refuses_bad_values_before_rendering() -> None:
    """helm install/template validate against the schema too: the render itself fails."""
    with pytest.raises(helm.HelmValuesError, match=r"at '/image/pullPolicy'"):
        render({"image": {"pullPolicy": "Sometimes"}})


def test_schema_is_strict_about_component_keys() -> None:
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())
    component = schema["definitions"]["component"]
    assert component["additionalProperties"] is False
    assert schema["properties"]["components"]["additionalProperties"] is False


def test_autoscaling_min_above_max_is_refused() -> None:
    values = {"components": {"chat": {"autoscaling": {"enabled": True, "minReplicas": 5, "maxReplicas": 2}}}}
    with pytest.raises(helm.HelmRenderError, match=r"components\.chat\.autoscaling: minReplicas \(5\)"):
        render(values)
