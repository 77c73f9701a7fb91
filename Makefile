# Drydock: `make serve` runs a server on 127.0.0.1:7070; `make test` sets up and runs everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install serve test lint typecheck system-deps coverage bench clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

serve: install
	$(BIN)/drydock server

# Debian packages the test suite needs (PostgreSQL for the store contract suite).
system-deps:
	@bash scripts/system-deps.sh

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

coverage: install
	$(BIN)/python scripts/coverage_doc.py

test: install system-deps lint typecheck
	$(BIN)/python scripts/coverage_doc.py --check
	$(BIN)/pytest -q $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/control_plane.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
