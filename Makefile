# One Makefile, the same commands locally and in CI. Every target installs .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared
export GITOPS_GEN_CRDS ?= $(SHARED)/crds
export GITOPS_GEN_CONFORMANCE ?= $(SHARED)/kyverno-conformance

.PHONY: install render test lint check bench golden clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

render: $(STAMP)
	$(BIN)/gitops-gen render

test: $(STAMP)
	$(BIN)/pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check generator tests
	$(BIN)/ruff format --check generator tests
	$(BIN)/mypy
	$(BIN)/lint-imports

check: $(STAMP)
	$(BIN)/gitops-gen check --crd-dir $(GITOPS_GEN_CRDS)

bench: $(STAMP)
	$(BIN)/python -m generator.bench

golden: $(STAMP)
	$(BIN)/pytest -q tests/test_golden.py --update-golden

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
