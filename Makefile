# MeshConsole: `make run` starts the whole mesh on the embedded default; `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.meshconsole-installed

.PHONY: install run test test-fast bench proto proto-check lint up down clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	npm install --prefix .tools --no-audit --no-fund s3rver@3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m deploy.local.launcher

test: $(STAMP)
	$(PY) -m pytest -q -m "not bench"

bench: $(STAMP)
	$(PY) -m pytest -q -m bench -s tests/bench

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
	rm -rf $(VENV) .data
