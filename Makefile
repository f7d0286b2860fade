# MeshConsole: `make run` starts the whole mesh on the embedded default; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.meshconsole-installed
# uv installs exactly what uv.lock says; it is itself pinned and bootstrapped into .tools/ with pip.
UV_VERSION := 0.13.9
UV := .tools/uv/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
NODE_TOOLS := tools/node/node_modules/.package-lock.json

.PHONY: install lock lock-check run demo test test-fast bench fuzz proto proto-check lint up down clean

$(UV):
	$(PYTHON) -m venv .tools/uv
	.tools/uv/bin/pip install --quiet uv==$(UV_VERSION)

$(STAMP): uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --extra dev --python $(PYTHON)
	touch $(STAMP)

$(NODE_TOOLS): tools/node/package-lock.json
	npm ci --prefix tools/node --no-audit --no-fund >/dev/null

install: $(STAMP) $(NODE_TOOLS)

# Refresh uv.lock on purpose (newest versions within pyproject.toml's ranges), then install it.
lock: | $(UV)
	$(UV) lock --upgrade --python $(PYTHON)
	$(UV) sync --frozen --extra dev --python $(PYTHON)
	touch $(STAMP)

# Fails when pyproject.toml and uv.lock disagree.
lock-check: | $(UV)
	$(UV) lock --check --python $(PYTHON)

run: $(STAMP)
	$(PY) -m deploy.local.launcher

# `make run` plus a scripted OpenAI-compatible upstream that echoes, as the default model: no network, no key.
demo: $(STAMP)
	$(PY) -m deploy.local.demo

test: $(STAMP) $(NODE_TOOLS)
	$(PY) -m pytest -q -m "not bench"

bench: $(STAMP) $(NODE_TOOLS)
	$(PY) -m pytest -q -m bench -s tests/bench

# Schemathesis over the whole gateway API with many cases per operation (make test runs 5 per operation).
FUZZ_EXAMPLES ?= 200
fuzz: $(STAMP) $(NODE_TOOLS)
	MESH_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q -m "not bench" tests/e2e/test_fuzz_openapi.py

proto: $(STAMP)
	$(PY) proto/generate.py

lint: $(STAMP)
	$(VENV)/bin/ruff check services gateway deploy tests proto/generate.py
	$(VENV)/bin/ruff format --check services gateway deploy tests proto/generate.py
	$(VENV)/bin/mypy services gateway deploy

COMPOSE := docker compose -f deploy/compose.yaml --env-file deploy/.env

deploy/.env:
	@echo "deploy/.env is missing: cp deploy/.env.example deploy/.env and fill in every secret" >&2; exit 1

up: deploy/.env
	$(COMPOSE) up --build --detach --wait

down:
	$(COMPOSE) down --remove-orphans

clean:
	rm -rf $(VENV) .data .tools tools/node/node_modules
