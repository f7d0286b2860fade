"""mTLS between pods and the principal keys: what each Deployment mounts, reads and is refused."""

from __future__ import annotations

import base64
import functools
import re
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key

from tests.k8s._chart import (
    CHART_DIR,
    COMPONENTS,
    FULLNAME,
    KUBE_VERSIONS,
    NAMESPACE,
    SERVICES,
    Rendered,
    render,
    rendered,
    rendered_values,
    value_sets,
)

ISSUER = {"name": "mesh-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"}
MTLS_VARIANTS: dict[str, dict[str, Any]] = {
    "cert-manager": {"mtls": {"enabled": True, "certManager": {"enabled": True, "issuerRef": ISSUER}}},
    "existing-secrets": {"mtls": {"enabled": True, "existingSecrets": {c: f"tls-{c}" for c in COMPONENTS}}},
}
TLS_ENV = {"MESH_GRPC_TLS_CERT_FILE": "tls.crt", "MESH_GRPC_TLS_KEY_FILE": "tls.key", "MESH_GRPC_TLS_CA_FILE": "ca.crt"}
CERTIFICATE_FIELDS = {
    "secretName",
    "secretTemplate",
    "issuerRef",
    "duration",
    "renewBefore",
    "privateKey",
    "dnsNames",
    "usages",
}


@functools.cache
def mtls(variant: str) -> Rendered:
    return rendered_values(variant, MTLS_VARIANTS[variant])


def pod_spec(r: Rendered, component: str) -> dict[str, Any]:
    return r.component("Deployment", component)["spec"]["template"]["spec"]


def secrets_referenced(r: Rendered, component: str) -> set[str]:
    """Every Secret a component's pod can read: volumes, env and envFrom."""
    pod = pod_spec(r, component)
    names = {v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}
    for container in pod["containers"]:
        names |= {e["valueFrom"]["secretKeyRef"]["name"] for e in container.get("env", []) if "valueFrom" in e}
        names |= {e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e}
    return names


def secret_data(secret: dict[str, Any]) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


# --------------------------------------------------------------------------- mTLS
@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("variant", list(MTLS_VARIANTS))
def test_mtls_manifests_validate(variant: str, kube_version: str) -> None:
    core = [d for d in mtls(variant).manifests if not d["apiVersion"].startswith("cert-manager.io/")]
    assert {d["kind"] for d in core} >= {"Deployment", "Service", "ConfigMap", "NetworkPolicy", "Secret"}
    for doc in core:
        kubernetes_validate.validate(doc, kube_version, strict=True)


@pytest.mark.parametrize("variant", list(MTLS_VARIANTS))
def test_every_deployment_mounts_its_certificate_and_names_the_files(variant: str) -> None:
    r = mtls(variant)
    mount_path, health = r.merged["mtls"]["mountPath"], r.merged["mtls"]["healthPort"]
    for component in COMPONENTS:
        config = r.config(component)
        for env, file in TLS_ENV.items():
            assert config[env] == f"{mount_path}/{file}", (component, env)
        (mount,) = [m for m in r.container(component)["volumeMounts"] if m["mountPath"] == mount_path]
        assert mount["readOnly"] is True
        (volume,) = [v for v in pod_spec(r, component)["volumes"] if v["name"] == mount["name"]]
        expected = f"{FULLNAME}-{component}-tls" if variant == "cert-manager" else f"tls-{component}"
        assert volume["secret"]["secretName"] == expected
        ports = {p["name"]: p["containerPort"] for p in r.container(component)["ports"]}
        service_ports = {p["port"] for p in r.component("Service", component)["spec"]["ports"]}
        assert health not in service_ports, "the plaintext health port is for the kubelet only"
        if component == "gateway":
            assert "grpc-health" not in ports and "MESH_GRPC_HEALTH_PORT" not in config
            continue
        assert ports["grpc-health"] == health and config["MESH_GRPC_HEALTH_PORT"] == str(health)
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert r.container(component)[probe]["grpc"]["port"] == health, (component, probe)


def test_cert_manager_issues_one_certificate_per_component_for_its_service_names() -> None:
    r = mtls("cert-manager")
    certificates = r.kind("Certificate")
    assert set(certificates) == {f"{FULLNAME}-{c}" for c in COMPONENTS}
    dialled = {svc: r.config("gateway")[f"MESH_{svc.upper()}_ADDR"].rsplit(":", 1)[0] for svc in SERVICES}
    for component in COMPONENTS:
        doc = certificates[f"{FULLNAME}-{component}"]
        assert doc["apiVersion"] == "cert-manager.io/v1"
        spec = doc["spec"]
        assert set(spec) <= CERTIFICATE_FIELDS, set(spec) - CERTIFICATE_FIELDS
        assert spec["issuerRef"] == ISSUER
        assert {"server auth", "client auth"} <= set(spec["usages"])
        assert spec["secretName"] == f"{FULLNAME}-{component}-tls"
        service = f"{FULLNAME}-{component}"
        assert spec["dnsNames"] == [
            service,
            f"{service}.{NAMESPACE}",
            f"{service}.{NAMESPACE}.svc",
            f"{service}.{NAMESPACE}.svc.cluster.local",
        ]
        if component in dialled:
            assert dialled[component] in spec["dnsNames"], "the name clients dial must be in the certificate"
        assert spec["privateKey"]["algorithm"] in ("ECDSA", "RSA") and spec["privateKey"]["rotationPolicy"] == "Always"
        for duration in (spec["duration"], spec["renewBefore"]):
            assert re.fullmatch(r"([0-9]+(\.[0-9]+)?(h|m|s))+", duration)
        assert doc["metadata"]["labels"]["app.kubernetes.io/component"] == component


def test_existing_secrets_render_no_certificates() -> None:
    assert not mtls("existing-secrets").kind("Certificate")


@pytest.mark.parametrize("name", [n for n in value_sets() if n != "security-values"])
def test_without_mtls_no_certificate_is_mounted(name: str) -> None:
    r = rendered(name)
    assert not r.merged["mtls"]["enabled"] and not r.kind("Certificate")
    for component in COMPONENTS:
        assert not set(TLS_ENV) & set(r.config(component))
        assert all("secret" not in v for v in pod_spec(r, component)["volumes"])


def test_health_port_on_the_grpc_port_is_refused() -> None:
    values = {**MTLS_VARIANTS["existing-secrets"]}
    values["mtls"] = {**values["mtls"], "healthPort": 50051}
    with pytest.raises(helm.HelmRenderError, match=r"mtls\.healthPort \(50051\) must differ from grpcPort"):
        render(values)


# --------------------------------------------------------------------------- principal keys
def token_secrets(r: Rendered) -> tuple[str, str]:
    keys = r.merged["security"]["principalKeys"]
    if keys["generate"]:
        return f"{FULLNAME}-gateway-token-key", f"{FULLNAME}-service-token-key"
    return keys["gatewayExistingSecret"], keys["serviceExistingSecret"]


@pytest.mark.parametrize("name", list(value_sets()))
def test_gateway_key_reaches_only_the_gateway_and_service_key_only_services(name: str) -> None:
    r = rendered(name)
    gateway_secret, service_secret = token_secrets(r)
    key = r.merged["security"]["principalKeys"]["secretKey"]
    for component in COMPONENTS:
        refs = secrets_referenced(r, component)
        is_gateway = component == "gateway"
        assert (gateway_secret in refs) is is_gateway, component
        assert (service_secret in refs) is not is_gateway, component
        env = r.env(component)
        own = "MESH_GATEWAY_TOKEN_KEY" if is_gateway else "MESH_SERVICE_TOKEN_KEY"
        other = "MESH_SERVICE_TOKEN_KEY" if is_gateway else "MESH_GATEWAY_TOKEN_KEY"
        assert env[own]["valueFrom"]["secretKeyRef"] == {
            "name": gateway_secret if is_gateway else service_secret,
            "key": key,
        }
        assert other not in env and other not in r.config(component)
        if not is_gateway:
            assert r.config(component)["MESH_GRPC_BIND_HOST"] == "0.0.0.0"
            assert r.config(component)["MESH_GATEWAY_TOKEN_PUBLIC_KEY"].startswith("-----BEGIN PUBLIC KEY-----")
    assert "MESH_GRPC_BIND_HOST" not in r.config("gateway")


def test_generated_keys_are_two_ed25519_keys_and_services_get_the_gateways_public_half() -> None:
    r = rendered("default")
    secrets = r.kind("Secret")
    gateway_secret, service_secret = token_secrets(r)
    key = r.merged["security"]["principalKeys"]["secretKey"]
    pems = {name: secret_data(secrets[name])[key] for name in (gateway_secret, service_secret)}
    assert all(len(secret_data(secrets[name])) == 1 for name in pems), "one key per Secret"
    gateway_key = serialization.load_pem_private_key(pems[gateway_secret].encode(), None)
    service_key = serialization.load_pem_private_key(pems[service_secret].encode(), None)
    assert isinstance(gateway_key, Ed25519PrivateKey) and isinstance(service_key, Ed25519PrivateKey)
    assert public_pem(gateway_key) != public_pem(service_key)
    for service in SERVICES:
        assert r.config(service)["MESH_GATEWAY_TOKEN_PUBLIC_KEY"] == public_pem(gateway_key), service


def test_operator_keys_are_referenced_and_the_chart_makes_none() -> None:
    r = rendered("production-values")
    keys = r.merged["security"]["principalKeys"]
    assert keys["generate"] is False
    assert not {f"{FULLNAME}-gateway-token-key", f"{FULLNAME}-service-token-key"} & set(r.kind("Secret"))
    public = serialization.load_pem_public_key(keys["gatewayPublicKey"].encode())
    assert isinstance(public, Ed25519PublicKey)
    for service in SERVICES:
        assert r.config(service)["MESH_GATEWAY_TOKEN_PUBLIC_KEY"] == keys["gatewayPublicKey"]


def test_one_secret_for_both_keys_is_refused() -> None:
    public = public_pem(Ed25519PrivateKey.generate())
    keys = {
        "generate": False,
        "gatewayExistingSecret": "keys",
        "serviceExistingSecret": "keys",
        "gatewayPublicKey": public,
    }
    with pytest.raises(helm.HelmRenderError, match="must be two Secrets"):
        render({"security": {"principalKeys": keys}})


# --------------------------------------------------------------------------- the schema
RSA_PUBLIC = (
    generate_private_key(public_exponent=65537, key_size=2048)
    .public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)
OPERATOR_KEYS = {"generate": False, "gatewayExistingSecret": "gw-key", "serviceExistingSecret": "svc-key"}
BAD_VALUES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "mtls-without-certificates": ({"mtls": {"enabled": True}}, ["/mtls/existingSecrets", "missing properties"]),
    "mtls-missing-a-component": (
        {"mtls": {"enabled": True, "existingSecrets": {c: f"tls-{c}" for c in SERVICES}}},
        ["/mtls/existingSecrets", "missing property 'gateway'"],
    ),
    "cert-manager-without-issuer": (
        {"mtls": {"enabled": True, "certManager": {"enabled": True}}},
        ["/mtls/certManager/issuerRef/name", "minLength: got 0, want 1"],
    ),
    "cert-manager-and-existing-secrets": (
        {"mtls": {**MTLS_VARIANTS["cert-manager"]["mtls"], "existingSecrets": {"gateway": "x"}}},
        ["/mtls/existingSecrets", "maxProperties"],
    ),
    "ecdsa-with-an-rsa-size": (
        {"mtls": {"certManager": {"privateKey": {"algorithm": "ECDSA", "size": 2048}}}},
        ["/mtls/certManager/privateKey/size"],
    ),
    "unknown-mtls-key": ({"mtls": {"enable": True}}, ["/mtls", "additional properties 'enable' not allowed"]),
    "operator-keys-without-public-key": (
        {"security": {"principalKeys": OPERATOR_KEYS}},
        ["/security/principalKeys/gatewayPublicKey", "does not match pattern", "BEGIN PUBLIC KEY"],
    ),
    "public-key-not-ed25519": (
        {"security": {"principalKeys": {**OPERATOR_KEYS, "gatewayPublicKey": RSA_PUBLIC}}},
        ["/security/principalKeys/gatewayPublicKey", "does not match pattern"],
    ),
    "generate-and-an-existing-secret": (
        {"security": {"principalKeys": {"generate": True, "gatewayExistingSecret": "gw-key"}}},
        ["/security/principalKeys/gatewayExistingSecret", "maxLength: got 6, want 0"],
    ),
    "peer-with-ip-block-and-selector": (
        {"networkPolicy": {"gatewayFrom": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}},
        ["/networkPolicy/gatewayFrom/0", "maxProperties"],
    ),
    "bad-cidr": (
        {"networkPolicy": {"egress": {"internet": {"ipBlocks": [{"cidr": "10.0.0.0"}]}}}},
        ["/networkPolicy/egress/internet/ipBlocks/0/cidr", "does not match pattern"],
    ),
    "unknown-backend": (
        {"networkPolicy": {"egress": {"mysql": []}}},
        ["/networkPolicy/egress", "additional properties 'mysql' not allowed"],
    ),
    "extra-rules-for-an-unknown-component": (
        {"networkPolicy": {"extraEgress": {"billing": []}}},
        ["/networkPolicy/extraEgress", "additional properties 'billing' not allowed"],
    ),
    "internet-for-an-unknown-component": (
        {"networkPolicy": {"egress": {"internet": {"components": ["worker"]}}}},
        ["/networkPolicy/egress/internet/components/0"],
    ),
    "port-out-of-range": (
        {"networkPolicy": {"extraIngress": {"chat": [{"ports": [{"port": 70000}]}]}}},
        ["/networkPolicy/extraIngress/chat/0/ports/0/port"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_VALUES))
def test_bad_security_values_fail_with_a_clear_message(case: str) -> None:
    values, expected = BAD_VALUES[case]
    with helm.Chart.load(CHART_DIR) as chart, pytest.raises(helm.HelmValuesError) as caught:
        chart.validate_schema(values)
    message = str(caught.value)
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.parametrize("variant", list(MTLS_VARIANTS))
def test_good_mtls_values_pass_the_schema(variant: str) -> None:
    with helm.Chart.load(CHART_DIR) as chart:
        chart.validate_schema(MTLS_VARIANTS[variant])
