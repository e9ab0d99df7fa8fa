# Two commands on a fresh machine (only Python 3.11, make and bash needed):
#   make nightly   create the environment from uv.lock, run one nightly sync on the embedded stack
#   make test      create the environment, run the test suite
# `make help` lists the targets; `make test-fast` is the suite without the whole-DAG (e2e) tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SYNCED := $(VENV)/.synced-$(shell cat uv.lock pyproject.toml publication/docs_assets.py 2>/dev/null | cksum | cut -d' ' -f1)

.PHONY: help env system-deps nightly test test-fast bench bench-nightly

env: $(SYNCED) ## create the environment from uv.lock (the other targets do it first)

# The environment, exactly as locked (uv itself is a locked dev dependency, bootstrapped by pip),
# and the pinned npm packages GX Data Docs load (publication/docs_assets.py).
$(SYNCED): pyproject.toml uv.lock publication/docs_assets.py
	test -x $(BIN)/uv || ($(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet uv==0.13.9)
	$(BIN)/uv sync --frozen --python $(BIN)/python
	$(BIN)/python -m publication.docs_assets fetch
	rm -f $(VENV)/.synced-* && touch $@

# Debian packages the tests use: docker-compose validates docker-compose.yml (no engine needed),
# chromium renders the Data Docs and the contract catalog headless.
DEBIAN_TEST_PACKAGES := docker-compose chromium
system-deps: ## install the Debian packages the tests use (docker-compose, chromium; as root)
	@missing=""; for p in $(DEBIAN_TEST_PACKAGES); do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	  else echo "install the Debian packages$$missing for the tests"; exit 1; fi; fi

nightly: env ## run one nightly sync on the embedded stack (DATE=YYYY-MM-DD, ARGS=...)
	GIGSHIELD_ENV=$${GIGSHIELD_ENV:-development} $(BIN)/python -m devstack.run_nightly $(if $(DATE),--date $(DATE)) $(ARGS)

# Two pytest-xdist workers, each taking a whole test module at a time, the slowest modules first
# (tests/conftest.py: SLOWEST_FIRST); PYTEST_WORKERS=0 runs the suite in one process.
PYTEST_WORKERS ?= 2
PYTEST_XDIST = $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder)

test: env system-deps ## run the whole test suite, what CI runs (PYTEST_ARGS=..., PYTEST_WORKERS=2)
	$(BIN)/python -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

# Every test is marked unit, integration or e2e (pyproject.toml); e2e are the whole-DAG runs.
test-fast: env system-deps ## the test suite without the e2e (whole-DAG) tests, for developers
	$(BIN)/python -m pytest -m "not e2e" $(PYTEST_XDIST) $(PYTEST_ARGS)

bench: env ## run the ingestion benchmark (ARGS=...)
	$(BIN)/python bench/ingest $(ARGS)

bench-nightly: env ## the whole nightly DAG run, medians of 3 fresh runs, per-task table, peak RSS (ARGS="--workers N")
	$(BIN)/python bench/nightly $(ARGS)

# Checks on every change (issue 12, item 5; .ci/run and .pre-commit-config.yaml run the same commands).
#   make lint        ruff check, ruff format --check, mypy, sqlfluff lint (changes nothing)
#   make fmt         rewrite what the tools can: ruff format, ruff check --fix, sqlfluff fix
#   make typecheck   mypy alone (its files and settings are in pyproject.toml)
# sqlfluff's dbt templater compiles the project, which loads transform.pseudonym_plugin: the
# development key and a scratch warehouse, never the operator's.
SQLFLUFF := env -u GIGSHIELD_PSEUDONYM_KEY GIGSHIELD_ENV=development \
	GIGSHIELD_WAREHOUSE=$(CURDIR)/.cache/sqlfluff/warehouse.duckdb $(BIN)/sqlfluff
SQL_MODELS := dbt_project/models

.PHONY: lint fmt typecheck sqlfluff-lint

lint: env ## the checks on every change: ruff check, ruff format --check, mypy, sqlfluff lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(MAKE) --no-print-directory sqlfluff-lint

sqlfluff-lint: env ## sqlfluff lint of the dbt models alone (dbt templater)
	@mkdir -p .cache/sqlfluff
	$(SQLFLUFF) lint $(SQL_MODELS)

fmt: env ## rewrite what the tools can fix: ruff format, ruff check --fix, sqlfluff fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	@mkdir -p .cache/sqlfluff
	$(SQLFLUFF) fix $(SQL_MODELS)

typecheck: env ## mypy alone
	$(BIN)/mypy

help: ## list the targets (a target's `## ` comment is its line here)
	@awk '/^[a-zA-Z][a-zA-Z_-]*:([^=]|$$)/ { name = substr($$0, 1, index($$0, ":") - 1); desc = ""; \
	  if (match($$0, /## .*/)) desc = substr($$0, RSTART + 3); printf "  make %-14s %s\n", name, desc }' $(MAKEFILE_LIST)
