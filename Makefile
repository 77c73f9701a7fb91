# Drydock: `make serve` runs a server on 127.0.0.1:7070; `make test` sets up and runs everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The sagemaker SDK (v2) has a venv of its own: its boto3 pins clash with the server's. tests/sdk runs
# SDK scripts with it against a live server; the versions are pinned in constraints-sdk.txt.
SDK_VENV := .venv-sdk
SDK_STAMP := $(SDK_VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install serve test lint typecheck system-deps coverage bench clean

install: $(STAMP) $(SDK_STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# A full pin set, so no resolver run (--no-deps); .venv's newer pip installs into it (no ensurepip): ~20 s.
$(SDK_STAMP): constraints-sdk.txt | $(STAMP)
	test -x $(SDK_VENV)/bin/python || $(PYTHON) -m venv --without-pip $(SDK_VENV)
	$(BIN)/pip --python $(SDK_VENV)/bin/python install --quiet --no-deps -r constraints-sdk.txt
	touch $(SDK_STAMP)

serve: install
	$(BIN)/drydock server

# Debian packages the test suite needs (PostgreSQL for the store contract suite).
system-deps:
	@bash scripts/system-deps.sh

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/lint-imports

# The scripts and benchmarks import drydock too: checking them catches an API change they missed.
# Separate runs, because the benchmarks import each other as top-level modules (tuning, training)
# whose names clash with drydock's packages in a single run.
typecheck: install
	$(BIN)/mypy
	$(BIN)/mypy scripts
	$(BIN)/mypy bench/*.py

coverage: install
	$(BIN)/python scripts/coverage_doc.py

test: install system-deps lint typecheck
	$(BIN)/python scripts/coverage_doc.py --check
	$(BIN)/pytest -q $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/control_plane.py

clean:
	rm -rf $(VENV) $(SDK_VENV) .mypy_cache .pytest_cache .ruff_cache
