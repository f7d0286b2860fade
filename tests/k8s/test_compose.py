"""deploy/compose.yaml and deploy/.env.example, checked without a Docker engine.

The Compose Specification schema in data/compose-spec.json comes from Docker Compose itself
(see data/README.md).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.k8s._chart import COMPONENTS, REPO, SERVICES

DEPLOY = REPO / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
SCHEMA = Path(__file__).parent / "data" / "compose-spec.json"

BACKENDS = ("nats", "redis", "postgres", "elasticsearch", "minio")
# Every secret the stack takes from .env. Each must be required: ${VAR:?message}, never a default.
SECRETS = {
    "MESH_SECRET_KEY",
    "MESH_ADMIN_PASSWORD",
    "POSTGRES_PASSWORD",
    "REDIS_PASSWORD",
    "ELASTIC_PASSWORD",
    "MINIO_ROOT_USER",
    "MINIO_ROOT_PASSWORD",
    "OPENAI_API_KEY",
    "MESH_GATEWAY_TOKEN_KEY",
    "MESH_GATEWAY_TOKEN_PUBLIC_KEY",
    "MESH_SERVICE_TOKEN_KEY",
}
SECRETISH = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|ACCESS_KEY|ROOT_USER")

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}, $NAME; $$ escapes.
INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


def compose_text() -> str:
    return COMPOSE_FILE.read_text()


def compose() -> dict[str, Any]:
    return yaml.safe_load(compose_text())


def interpolations(text: str) -> list[tuple[str, str | None, str | None]]:
    """(name, operator, argument) of every variable reference in the raw compose text."""
    out = []
    for match in INTERPOLATION.finditer(text):
        if match.group("escaped"):
            continue
        name = match.group("braced") or match.group("named")
        out.append((name, match.group("op"), match.group("arg")))
    return out


def interpolate(node: Any, env: dict[str, str]) -> Any:
    """Compose-style interpolation of a loaded document (enough for this file)."""
    if isinstance(node, dict):
        return {k: interpolate(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(v, env) for v in node]
    if not isinstance(node, str):
        return node

    def substitute(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("braced") or match.group("named")
        op, arg = match.group("op"), match.group("arg")
        value = env.get(name)
        if op in (":?", "?"):
            missing = (not value) if op == ":?" else (value is None)
            if missing:
                raise KeyError(f"required variable {name} is missing: {arg}")
            return value
        if op in (":-", "-"):
            use_default = (not value) if op == ":-" else value is None
            return interpolate(arg, env) if use_default else value
        return value or ""

    return INTERPOLATION.sub(substitute, node)


def example_env(fill: str = "0123456789abcdef0123456789abcdef") -> dict[str, str]:
    """deploy/.env.example with every empty secret filled in, as an operator would."""
    env = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip() or fill
    return env


# --------------------------------------------------------------------------- Compose Specification
def test_compose_file_matches_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(compose()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)
    # And once interpolated with a filled-in .env, as docker compose sees it.
    resolved = interpolate(compose(), example_env())
    errors = list(validator.iter_errors(resolved))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_the_schema_rejects_a_misspelt_key() -> None:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    broken = compose()
    broken["services"]["gateway"]["healtcheck"] = broken["services"]["gateway"].pop("healthcheck")
    assert any("healtcheck" in e.message for e in validator.iter_errors(broken))


# --------------------------------------------------------------------------- the stack
def test_stack_has_the_backends_every_service_and_the_gateway() -> None:
    services = compose()["services"]
    assert set(services) == set(BACKENDS) | set(COMPONENTS)


def test_every_container_has_a_healthcheck() -> None:
    for name, service in compose()["services"].items():
        check = service.get("healthcheck")
        assert check and not check.get("disable"), f"{name} has no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
    for component in COMPONENTS:
        test = compose()["services"][component]["healthcheck"]["test"]
        assert test == ["CMD", "python", "-m", "deploy.healthcheck", component]


def test_every_dependency_waits_for_health() -> None:
    services = compose()["services"]
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on must use the long form with a condition"
        for target, spec in depends.items():
            assert target in services, f"{name} depends on unknown {target}"
            assert spec == {"condition": "service_healthy"}, f"{name} -> {target}: {spec}"
    for component in SERVICES:
        assert {"postgres", "redis", "nats"} <= set(services[component]["depends_on"]), component
    assert "elasticsearch" in services["retrieval"]["depends_on"]
    assert "minio" in services["files"]["depends_on"]
    assert set(SERVICES) <= set(services["gateway"]["depends_on"])


def test_only_the_gateway_is_published() -> None:
    for name, service in compose()["services"].items():
        if name == "gateway":
            (port,) = service["ports"]
            assert port.endswith(":8080")
            assert port.startswith("${MESH_GATEWAY_BIND:-127.0.0.1}:"), "publish on loopback by default"
        else:
            assert "ports" not in service, f"{name} is published"
            assert service.get("network_mode") != "host", name


def test_mesh_containers_run_hardened_from_the_one_image() -> None:
    services = compose()["services"]
    images = {services[c]["image"] for c in COMPONENTS}
    assert len(images) == 1
    for component in COMPONENTS:
        service = services[component]
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert service["command"] == [component]
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in service["security_opt"]
        assert any(t.startswith("/tmp") for t in service["tmpfs"])
        assert service["environment"]["MESH_ENV"] == "production"


def test_backends_are_configured_for_production_use() -> None:
    services = compose()["services"]
    nats = services["nats"]
    assert "--jetstream" in nats["command"]
    store = nats["command"][nats["command"].index("--store_dir") + 1]
    assert any(v.endswith(f":{store}") for v in nats["volumes"]), "JetStream store must be on a volume"
    es = services["elasticsearch"]
    assert es["environment"]["discovery.type"] == "single-node"
    assert "-Xmx" in es["environment"]["ES_JAVA_OPTS"] and "-Xms" in es["environment"]["ES_JAVA_OPTS"]
    assert es["mem_limit"], "Elasticsearch needs a memory limit"
    postgres = services["postgres"]
    assert "./postgres-init:/docker-entrypoint-initdb.d:ro" in postgres["volumes"]
    for backend in ("nats", "redis", "postgres", "elasticsearch", "minio"):
        assert services[backend].get("volumes"), f"{backend} keeps no data"
    assert "mb --ignore-existing" in " ".join(services["minio"]["healthcheck"]["test"])


def test_each_service_uses_its_own_database() -> None:
    services = compose()["services"]
    for component in SERVICES:
        url = services[component]["environment"]["MESH_DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://")
        assert url.endswith(f"@postgres:5432/mesh_{component}"), url
    assert "MESH_DATABASE_URL" not in services["gateway"]["environment"]
    init = (DEPLOY / "postgres-init").glob("*.sh")
    text = "".join(p.read_text() for p in init)
    for component in SERVICES:
        assert f"mesh_{component}" in text


def test_addresses_point_at_compose_service_names() -> None:
    services = compose()["services"]
    for component in COMPONENTS:
        env = services[component]["environment"]
        for svc in SERVICES:
            assert env[f"MESH_{svc.upper()}_ADDR"] == f"{svc}:50051"
        assert env["MESH_NATS_URL"] == "nats://nats:4222"
        assert "@redis:6379/" in env["MESH_REDIS_URL"]


def test_services_export_metrics_and_trace_only_when_a_collector_is_named() -> None:
    services = compose()["services"]
    quiet = interpolate(services, example_env())
    traced = interpolate(services, {**example_env(), "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector:4318"})
    for component in SERVICES:
        assert quiet[component]["environment"]["MESH_METRICS_PORT"] == "9464"
        assert quiet[component]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == ""
        assert traced[component]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
    assert traced["gateway"]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
    assert all("9464" not in str(services[c].get("ports", "")) for c in SERVICES)  # scraped inside, not published


# --------------------------------------------------------------------------- secrets
def test_no_secret_has_a_default() -> None:
    refs = interpolations(compose_text())
    seen = {name for name, _, _ in refs}
    assert seen >= SECRETS, f"secrets never used: {SECRETS - seen}"
    for name, op, arg in refs:
        if name in SECRETS or SECRETISH.search(name):
            assert op == ":?", f"${{{name}}} must be written ${{{name}:?message}}, not with {op!r}"
            assert arg and arg.strip(), f"${{{name}:?}} needs a message saying where to set it"
    # No literal secret either: every environment entry that looks secret is interpolated.
    for name, service in compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRETISH.search(key):
                assert "${" in str(value), f"{name}.{key} is a literal"


def test_secret_check_can_fail() -> None:
    assert interpolations("x: ${MESH_SECRET_KEY:-changeme}") == [("MESH_SECRET_KEY", ":-", "changeme")]


def test_missing_secret_stops_compose() -> None:
    env = example_env()
    del env["POSTGRES_PASSWORD"]
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        interpolate(compose(), env)


def test_env_example_lists_every_secret_empty() -> None:
    lines = [ln for ln in ENV_EXAMPLE.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    entries = dict(line.split("=", 1) for line in lines)
    assert set(entries) == SECRETS, "every active line is a secret; settings are commented with defaults"
    assert all(value == "" for value in entries.values()), "the example must not carry secret values"
    text = ENV_EXAMPLE.read_text()
    for name, op, _ in interpolations(compose_text()):
        if op != ":?":
            assert name in text, f"{name} is not documented in .env.example"


def test_each_mesh_container_gets_only_its_secrets() -> None:
    services = compose()["services"]
    common = {"REDIS_PASSWORD", "MESH_SECRET_KEY"}
    # The gateway alone holds its private key; services hold its public half and the service key.
    base = common | {"MESH_GATEWAY_TOKEN_PUBLIC_KEY", "MESH_SERVICE_TOKEN_KEY"}
    expected = {
        "gateway": common | {"MESH_GATEWAY_TOKEN_KEY"},
        "identity": base | {"POSTGRES_PASSWORD", "MESH_ADMIN_PASSWORD"},
        "apps": base | {"POSTGRES_PASSWORD"},
        "chat": base | {"POSTGRES_PASSWORD", "OPENAI_API_KEY"},
        "retrieval": base | {"POSTGRES_PASSWORD", "ELASTIC_PASSWORD"},
        "files": base | {"POSTGRES_PASSWORD", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"},
        "voice": base | {"POSTGRES_PASSWORD", "OPENAI_API_KEY"},
        "meetings": base | {"POSTGRES_PASSWORD"},
    }
    for component in COMPONENTS:
        text = yaml.safe_dump(services[component]["environment"])
        used = {name for name, _, _ in interpolations(text) if name in SECRETS}
        assert used == expected[component], component


def test_compose_loads_its_env_file_from_deploy() -> None:
    """docker compose -f deploy/compose.yaml reads deploy/.env: the project directory is deploy/."""
    assert compose()["name"] == "meshconsole"
    assert compose()["services"]["gateway"]["build"]["context"] == ".."


def test_env_file_is_kept_out_of_git_and_images() -> None:
    """deploy/.env holds the real secrets."""
    ignored = subprocess.run(["git", "check-ignore", "-q", "--no-index", "deploy/.env"], cwd=REPO, check=False)
    assert ignored.returncode == 0, "deploy/.env must be git-ignored (add `.env` to .gitignore)"
    dockerignore = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()]
    assert "**/.env" in dockerignore
