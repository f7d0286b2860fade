"""The Helm chart, rendered with the real Helm engine for the default values and every ci/*.yaml."""

from __future__ import annotations

import re

import helm_python as helm
import kubernetes_validate
import pytest

from tests.k8s._chart import (
    CHART_DIR,
    COMPONENTS,
    FULLNAME,
    KUBE_VERSIONS,
    REPO,
    SERVICES,
    load_values,
    render,
    rendered,
    value_sets,
)

VALUE_SETS = list(value_sets())

# The secrets each component may read, by env var (the process contract): nothing more.
COMMON_SECRETS = {"MESH_REDIS_URL", "MESH_SECRET_KEY", "MESH_DATABASE_URL"}
EXTRA_SECRETS = {
    "gateway": set(),
    "identity": {"MESH_ADMIN_PASSWORD"},
    "apps": set(),
    "chat": {"OPENAI_API_KEY"},
    "retrieval": {"MESH_RETRIEVAL_ES_PASSWORD"},
    "files": {"MESH_FILES_S3_ACCESS_KEY", "MESH_FILES_S3_SECRET_KEY"},
    "voice": {"MESH_VOICE_OPENAI_API_KEY"},
    "meetings": set(),
}
# The principal keys, each in a Secret of its own (test_chart_security.py checks which).
TOKEN_SECRETS = {"MESH_GATEWAY_TOKEN_KEY", "MESH_SERVICE_TOKEN_KEY"}
ALL_SECRET_ENV = COMMON_SECRETS | TOKEN_SECRETS | set().union(*EXTRA_SECRETS.values())


def expected_secret_env(component: str) -> set[str]:
    if component == "gateway":
        return {"MESH_REDIS_URL", "MESH_SECRET_KEY", "MESH_GATEWAY_TOKEN_KEY"}
    return COMMON_SECRETS | {"MESH_SERVICE_TOKEN_KEY"} | EXTRA_SECRETS[component]


def test_ci_value_sets_exist() -> None:
    assert {"minimal-values", "production-values", "ingress-values", "security-values"} <= set(VALUE_SETS)


def test_chart_covers_every_service_in_the_repository() -> None:
    """Keep the chart in step with the code: one component per services/<name>/ package, plus the gateway."""
    # kit is shared code and cli the operator's `meshconsole admin`: neither runs as a component.
    packages = {p.parent.name for p in (REPO / "services").glob("*/__init__.py") if p.parent.name not in ("kit", "cli")}
    assert packages == set(SERVICES), "services/ and the chart's components differ"
    with helm.Chart.load(CHART_DIR) as chart:
        assert set(chart.values["components"]) == set(COMPONENTS)
        assert set(chart.schema["properties"]["components"]["required"]) == set(COMPONENTS)


# --------------------------------------------------------------------------- helm lint
@pytest.mark.parametrize("name", VALUE_SETS)
def test_helm_lint_reports_no_errors(name: str) -> None:
    report = helm.lint(CHART_DIR, load_values(name), kube_version=f"v{KUBE_VERSIONS[-1]}")
    errors = [m for m in report["messages"] if m["severity"] >= 3] + report["errors"]
    assert not errors, errors


def test_helm_lint_catches_a_broken_value_set() -> None:
    report = helm.lint(CHART_DIR, {"image": {"pullPolicy": "Sometimes"}})
    text = str(report["messages"]) + str(report["errors"])
    assert any(m["severity"] >= 3 for m in report["messages"]) or report["errors"]
    assert "pullPolicy" in text


# --------------------------------------------------------------------------- kubernetes-validate
@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("name", VALUE_SETS)
def test_every_manifest_validates_strictly(name: str, kube_version: str) -> None:
    manifests = rendered(name).manifests
    assert manifests
    problems = []
    for doc in manifests:
        if doc["apiVersion"].startswith(("cert-manager.io/", "monitoring.coreos.com/")):
            continue  # CRDs kubernetes-validate has no schema for: test_chart_mtls.py, test_chart_monitoring.py
        label = f"{doc['kind']}/{doc['metadata']['name']}"
        try:
            kubernetes_validate.validate(doc, kube_version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            problems.append(f"{label}: {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            problems.append(f"{label}: {exc.message}")
    assert not problems, "\n".join(problems)


def test_strict_validation_rejects_an_unknown_field() -> None:
    """The validation above is able to fail: a misspelt field is caught."""
    doc = rendered("default").component("Deployment", "gateway")
    broken = {**doc, "spec": {**doc["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBE_VERSIONS[-1], strict=True)


# --------------------------------------------------------------------------- objects per component
@pytest.mark.parametrize("name", VALUE_SETS)
def test_each_component_has_its_objects(name: str) -> None:
    r = rendered(name)
    for component in COMPONENTS:
        for kind in ("Deployment", "Service", "ConfigMap"):
            assert f"{FULLNAME}-{component}" in r.kind(kind), f"{kind} of {component} missing"
    assert set(r.kind("Deployment")) == {f"{FULLNAME}-{c}" for c in COMPONENTS}


@pytest.mark.parametrize("name", VALUE_SETS)
def test_services_have_named_ports_matching_the_containers(name: str) -> None:
    r = rendered(name)
    for component in COMPONENTS:
        port_name = "http" if component == "gateway" else "grpc"
        service = r.component("Service", component)
        port, *metrics = service["spec"]["ports"]
        assert port["name"] == port_name
        assert port["targetPort"] == port_name
        assert port["port"] == (8080 if component == "gateway" else 50051)
        container_ports = {p["name"]: p["containerPort"] for p in r.container(component)["ports"]}
        expected = {port_name: port["port"]}
        if r.merged["mtls"]["enabled"] and component != "gateway":
            # The kubelet's plaintext health port, which no Service exposes.
            expected["grpc-health"] = r.merged["mtls"]["healthPort"]
        if component != "gateway":
            # Prometheus /metrics of a service (the gateway serves its own on the HTTP port).
            expected["metrics"] = r.merged["metrics"]["port"]
            assert [(p["name"], p["port"], p["targetPort"]) for p in metrics] == [
                ("metrics", expected["metrics"], "metrics")
            ]
            assert r.config(component)["MESH_METRICS_PORT"] == str(expected["metrics"])
        else:
            assert not metrics
        assert container_ports == expected
        pod_labels = r.component("Deployment", component)["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= pod_labels.items()


# --------------------------------------------------------------------------- hardening, probes, resources
@pytest.mark.parametrize("name", VALUE_SETS)
def test_every_deployment_is_hardened(name: str) -> None:
    r = rendered(name)
    for component in COMPONENTS:
        pod = r.component("Deployment", component)["spec"]["template"]["spec"]
        container = r.container(component)
        assert pod["securityContext"]["runAsNonRoot"] is True, component
        assert pod["automountServiceAccountToken"] is False, component
        sc = container["securityContext"]
        assert sc["runAsNonRoot"] is True, component
        assert sc["readOnlyRootFilesystem"] is True, component
        assert sc["allowPrivilegeEscalation"] is False, component
        assert sc["capabilities"]["drop"] == ["ALL"], component
        assert not sc["capabilities"].get("add"), component
        # The only writable paths are emptyDirs: /tmp and the data dir. Secrets mount read-only.
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        assert "/tmp" in mounts, component
        for mount in mounts.values():
            volume = volumes[mount["name"]]
            assert "emptyDir" in volume or ("secret" in volume and mount["readOnly"] is True), component


@pytest.mark.parametrize("name", VALUE_SETS)
def test_every_deployment_has_probes_and_resources(name: str) -> None:
    r = rendered(name)
    for component in COMPONENTS:
        container = r.container(component)
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            handler = container[probe]
            if component == "gateway":
                assert handler["httpGet"]["port"] == "http", (component, probe)
            else:
                # Native gRPC probes (grpc.health.v1) on the service's port, or on the health port with mTLS.
                port = r.merged["mtls"]["healthPort"] if r.merged["mtls"]["enabled"] else 50051
                assert handler["grpc"]["port"] == port, (component, probe)
        if component == "gateway":
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]), component
        assert "memory" in resources["limits"], component


@pytest.mark.parametrize("name", VALUE_SETS)
def test_graceful_shutdown_lets_streams_finish(name: str) -> None:
    r = rendered(name)
    for component in COMPONENTS:
        pod = r.component("Deployment", component)["spec"]["template"]["spec"]
        grace = pod["terminationGracePeriodSeconds"]
        command = r.container(component)["lifecycle"]["preStop"]["exec"]["command"]
        assert command[0] == "sleep"
        pre_stop = int(command[1])
        assert 0 < pre_stop < grace, component
        drain = int(r.config(component)["MESH_SHUTDOWN_GRACE_S"])
        assert 0 < drain and pre_stop + drain < grace, component
    default_gateway_grace = rendered("default").component("Deployment", "gateway")
    assert default_gateway_grace["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 120


def test_pre_stop_longer_than_grace_period_is_refused() -> None:
    values = {"components": {"chat": {"terminationGracePeriodSeconds": 10, "preStopSleepSeconds": 10}}}
    with pytest.raises(helm.HelmRenderError, match=r"components\.chat: preStopSleepSeconds \(10\) must be less"):
        render(values)


# --------------------------------------------------------------------------- secrets
@pytest.mark.parametrize("name", VALUE_SETS)
def test_no_secret_value_lands_in_a_configmap(name: str) -> None:
    r = rendered(name)
    secrets = [v for v in r.secret_values().values() if v]
    # The secrets given in values count too, whether or not the chart renders a Secret.
    given = r.merged["secrets"] or {}
    secrets += [v for k, v in given.items() if k not in ("existingSecret", "keys") and v]
    config_maps = r.kind("ConfigMap")
    assert config_maps
    for cm in config_maps.values():
        for key, value in (cm.get("data") or {}).items():
            assert key not in ALL_SECRET_ENV, f"{cm['metadata']['name']} carries {key}"
            for secret in secrets:
                assert secret not in value, f"a secret is in ConfigMap {cm['metadata']['name']}/{key}"


def test_secret_values_appear_only_in_the_secret() -> None:
    """With inline secrets, no manifest but the Secret holds them: env entries are references."""
    r = rendered("minimal-values")
    given = {k: v for k, v in r.values["secrets"].items() if isinstance(v, str) and v}
    assert given
    for doc in r.manifests:
        if doc["kind"] == "Secret":
            continue
        text = str(doc)
        for key, value in given.items():
            assert value not in text, f"secrets.{key} leaks into {doc['kind']}/{doc['metadata']['name']}"
    decoded = r.secret_values()
    keys = r.merged["secrets"]["keys"]
    for field, value in given.items():
        assert decoded[keys[field]] == value


def test_the_check_above_can_fail() -> None:
    values = load_values("minimal-values")
    values["config"] = {"extraEnv": {"MESH_NOTE": values["secrets"]["redisPassword"]}}
    leaked = [
        cm["metadata"]["name"]
        for cm in render(values)
        if cm["kind"] == "ConfigMap" and values["secrets"]["redisPassword"] in str(cm["data"])
    ]
    assert leaked  # a secret smuggled under a harmless name is visible to the scan


@pytest.mark.parametrize("name", VALUE_SETS)
def test_each_component_gets_only_the_secrets_it_needs(name: str) -> None:
    r = rendered(name)
    secret_name = r.merged["secrets"]["existingSecret"] or f"{FULLNAME}-secrets"
    for component in COMPONENTS:
        env = r.env(component)
        secret_env = {n for n in env if n in ALL_SECRET_ENV}
        assert secret_env == expected_secret_env(component), component
        for entry in env.values():
            assert "value" in entry or "valueFrom" in entry
            if "valueFrom" in entry and entry["name"] not in TOKEN_SECRETS:
                assert entry["valueFrom"]["secretKeyRef"]["name"] == secret_name
            elif "value" in entry:
                # Literal values only where Kubernetes puts a password in from a $(reference).
                assert entry["name"] in ("MESH_REDIS_URL", "MESH_DATABASE_URL"), entry["name"]
                if entry["name"] == "MESH_DATABASE_URL" or r.merged["redis"]["auth"]:
                    assert re.search(r"\$\(MESHCONSOLE_[A-Z_]+_PASSWORD\)", entry["value"])
                    ref = re.search(r"\$\((\w+)\)", entry["value"]).group(1)
                    names = list(env)
                    assert names.index(ref) < names.index(entry["name"]), "a $(ref) must come first"


def test_existing_secret_means_no_chart_secret() -> None:
    r = rendered("production-values")
    assert r.merged["secrets"]["existingSecret"]
    assert not r.kind("Secret")


def test_generated_secrets_are_kept_on_uninstall() -> None:
    secret = rendered("default").kind("Secret")[f"{FULLNAME}-secrets"]
    assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    data = rendered("default").secret_values()
    assert len(data["secret-key"]) >= 32 and data["admin-password"]


# --------------------------------------------------------------------------- wiring
@pytest.mark.parametrize("name", VALUE_SETS)
def test_component_env_points_at_the_right_services(name: str) -> None:
    r = rendered(name)
    v = r.merged
    services = r.kind("Service")
    for component in COMPONENTS:
        config = r.config(component)
        env = r.env(component)
        for svc in SERVICES:
            address = config[f"MESH_{svc.upper()}_ADDR"]
            host, port = address.rsplit(":", 1)
            assert host == f"{FULLNAME}-{svc}", (component, svc)
            assert host in services and services[host]["spec"]["ports"][0]["port"] == int(port)
            assert services[host]["spec"]["selector"]["app.kubernetes.io/component"] == svc
        assert config["MESH_NATS_URL"] == v["nats"]["url"]
        assert config["MESH_GRPC_PORT"] == "50051"
        assert config["MESH_ENV"] == v["config"]["env"]
        assert f"@{v['redis']['host']}:{v['redis']['port']}/" in env["MESH_REDIS_URL"]["value"]
        if component == "gateway":
            assert "MESH_DATABASE_URL" not in env
            assert config["MESH_PORT"] == "8080" and config["MESH_HOST"] == "0.0.0.0"
        else:
            url = env["MESH_DATABASE_URL"]["value"]
            pg = v["postgresql"]
            assert url.startswith(f"postgresql+asyncpg://{pg['username']}:$(MESHCONSOLE_POSTGRES_PASSWORD)@")
            assert f"@{pg['host']}:{pg['port']}/mesh_{component}" in url, url
        assert r.container(component)["args"] == [component]
    assert r.config("retrieval")["MESH_RETRIEVAL_ES_URL"] == v["elasticsearch"]["url"]
    assert r.config("retrieval")["MESH_RETRIEVAL_BACKEND"] == "elasticsearch"
    assert r.config("files")["MESH_FILES_S3_ENDPOINT"] == v["minio"]["endpoint"]
    assert r.config("files")["MESH_FILES_BACKEND"] == "s3"
    assert r.config("chat")["OPENAI_BASE_URL"] == v["llm"]["baseUrl"]


def test_files_public_endpoint_is_passed_only_when_set() -> None:
    assert "MESH_FILES_S3_PUBLIC_ENDPOINT" not in rendered("default").config("files")
    docs = render({"minio": {"publicEndpoint": "files.example.com:443", "publicSecure": True}})
    cms = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
    files = (
        cms["mesh-meshconsole-files"]["data"]
        if "mesh-meshconsole-files" in cms
        else next(d["data"] for name, d in cms.items() if name.endswith("-files"))
    )
    assert files["MESH_FILES_S3_PUBLIC_ENDPOINT"] == "files.example.com:443"
    assert files["MESH_FILES_S3_PUBLIC_SECURE"] == "true"


def test_retrieval_gets_its_index_replicas_and_thread_count() -> None:
    config = rendered("default").config("retrieval")
    assert config["MESH_RETRIEVAL_ES_REPLICAS"] == "1" and config["OMP_NUM_THREADS"] == "1"
    docs = render({"elasticsearch": {"url": "http://es:9200", "replicas": 0}})
    cms = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
    retrieval = next(d["data"] for name, d in cms.items() if name.endswith("-retrieval"))
    assert retrieval["MESH_RETRIEVAL_ES_REPLICAS"] == "0"


def test_release_name_flows_into_addresses() -> None:
    docs = render(None, release="prod")
    cms = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
    assert cms["prod-meshconsole-gateway"]["data"]["MESH_CHAT_ADDR"] == "prod-meshconsole-chat:50051"


def test_service_links_are_off() -> None:
    """Docker-link env vars (<RELEASE>_..._PORT) could shadow MESH_* settings for a release named mesh."""
    for doc in rendered("default").kind("Deployment").values():
        assert doc["spec"]["template"]["spec"]["enableServiceLinks"] is False


# --------------------------------------------------------------------------- HPA, PDB, spread
@pytest.mark.parametrize("name", VALUE_SETS)
def test_hpa_appears_only_when_enabled(name: str) -> None:
    r = rendered(name)
    hpas = r.kind("HorizontalPodAutoscaler")
    for component in COMPONENTS:
        settings = r.component_settings(component)["autoscaling"]
        deployment = r.component("Deployment", component)
        if settings["enabled"]:
            hpa = hpas[f"{FULLNAME}-{component}"]
            assert hpa["apiVersion"] == "autoscaling/v2"
            assert hpa["spec"]["scaleTargetRef"] == {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": f"{FULLNAME}-{component}",
            }
            assert hpa["spec"]["minReplicas"] == settings["minReplicas"]
            assert hpa["spec"]["maxReplicas"] == settings["maxReplicas"]
            assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
        else:
            assert f"{FULLNAME}-{component}" not in hpas
            assert deployment["spec"]["replicas"] == r.component_settings(component)["replicas"]


def test_production_values_enable_hpa() -> None:
    assert rendered("production-values").kind("HorizontalPodAutoscaler")
    assert not rendered("default").kind("HorizontalPodAutoscaler")


@pytest.mark.parametrize("name", VALUE_SETS)
def test_pdb_follows_its_setting(name: str) -> None:
    r = rendered(name)
    for component in COMPONENTS:
        enabled = r.component_settings(component)["podDisruptionBudget"]["enabled"]
        pdb = r.kind("PodDisruptionBudget").get(f"{FULLNAME}-{component}")
        assert (pdb is not None) == enabled, component
        if pdb:
            labels = r.component("Deployment", component)["spec"]["template"]["metadata"]["labels"]
            assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()


@pytest.mark.parametrize("name", VALUE_SETS)
def test_topology_spread_is_optional(name: str) -> None:
    r = rendered(name)
    for component in COMPONENTS:
        enabled = r.component_settings(component)["topologySpread"]["enabled"]
        pod = r.component("Deployment", component)["spec"]["template"]
        constraints = pod["spec"].get("topologySpreadConstraints")
        assert bool(constraints) == enabled, component
        for constraint in constraints or []:
            assert constraint["labelSelector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    if name == "production-values":
        assert all(
            r.component("Deployment", c)["spec"]["template"]["spec"]["topologySpreadConstraints"] for c in COMPONENTS
        )


# --------------------------------------------------------------------------- ingress
SSE_ANNOTATIONS = {
    "nginx.ingress.kubernetes.io/proxy-buffering": "off",
    "nginx.ingress.kubernetes.io/proxy-request-buffering": "off",
}


@pytest.mark.parametrize("name", VALUE_SETS)
def test_ingress_only_when_enabled_and_keeps_sse_intact(name: str) -> None:
    r = rendered(name)
    ingresses = r.kind("Ingress")
    if not r.merged["ingress"]["enabled"]:
        assert not ingresses
        return
    (ingress,) = ingresses.values()
    annotations = ingress["metadata"]["annotations"]
    assert SSE_ANNOTATIONS.items() <= annotations.items()
    timeout = r.merged["ingress"]["streaming"]["timeoutSeconds"]
    assert timeout >= 600
    assert annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] == str(timeout)
    assert annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"] == str(timeout)
    for key, value in (r.merged["ingress"]["annotations"] or {}).items():
        assert annotations[key] == value
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            assert path["backend"]["service"] == {"name": f"{FULLNAME}-gateway", "port": {"name": "http"}}


def test_ingress_value_set_renders_an_ingress() -> None:
    assert rendered("ingress-values").kind("Ingress")
