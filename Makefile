# One Makefile, the same commands locally and in CI. Every target installs .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared
export GITOPS_GEN_CRDS ?= $(abspath $(SHARED))/crds
export GITOPS_GEN_CONFORMANCE ?= $(abspath $(SHARED))/kyverno-conformance
export GITOPS_GEN_CONFORMANCE_V2 ?= $(abspath $(SHARED))/kyverno-conformance-v2
export GITOPS_GEN_CHARTS ?= $(abspath $(SHARED))/charts

# checkov (an independent opinion on rendered/, issue 5) lives in its own venv: its many pinned
# dependencies conflict with ours. checkov and every dependency of it are pinned in
# CHECKOV_REQUIREMENTS (regenerate with `.venv-checkov/bin/pip freeze` after a bump).
CHECKOV_VENV := .venv-checkov
CHECKOV_REQUIREMENTS := tests/suite/checkov-requirements.txt
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

.PHONY: install render test test-fast checkov-venv lint check bench bench-peers bench-stages golden docs clean fuzz

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

render: $(STAMP)
	$(BIN)/gitops-gen render
	$(BIN)/gitops-gen graph prod --embed docs/request-path.md

# The stamp holds the sha256 of CHECKOV_REQUIREMENTS: the venv is rebuilt when the pins change, never
# because a checkout or merge gave the file a newer mtime. (An empty stamp newer than the file, as
# older Makefiles left it, is taken as current.)
checkov-venv:
	@want=$$(sha256sum $(CHECKOV_REQUIREMENTS) | cut -d' ' -f1); \
	have=$$(cat $(CHECKOV_STAMP) 2>/dev/null || echo none); \
	if [ -z "$$have" ] && [ $(CHECKOV_STAMP) -nt $(CHECKOV_REQUIREMENTS) ]; then have=$$want; fi; \
	if [ "$$have" != "$$want" ]; then \
	  echo "building $(CHECKOV_VENV): the pins in $(CHECKOV_REQUIREMENTS) changed"; \
	  rm -rf $(CHECKOV_VENV) && $(PYTHON) -m venv $(CHECKOV_VENV) && \
	  $(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r $(CHECKOV_REQUIREMENTS) || exit 1; \
	fi; \
	[ "$$(cat $(CHECKOV_STAMP) 2>/dev/null)" = "$$want" ] || echo "$$want" > $(CHECKOV_STAMP)

# The full suite: what CI (.ci/run) runs.
test: $(STAMP) checkov-venv
	$(BIN)/python -m compileall -q generator  # the suite starts many CLI processes: none compiles again
	$(BIN)/pytest -n 2 -q

# The suite without the tests marked slow (tests/conftest.py SLOW): for the edit-test loop. No checkov.
test-fast: $(STAMP)
	$(BIN)/pytest -n 2 -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check generator tests
	$(BIN)/ruff format --check generator tests
	$(BIN)/mypy
	$(BIN)/lint-imports

# OUTPUT=text|json|junit|sarif|github (CI templates in ci/ use github for pull-request annotations)
OUTPUT ?= text
check: $(STAMP)
	$(BIN)/gitops-gen check --crd-dir $(GITOPS_GEN_CRDS) --charts-dir $(GITOPS_GEN_CHARTS) --output $(OUTPUT)

# The commands users run, as whole processes, paired with the PyYAML C-loader parse floor; the table
# goes into docs/benchmarks.md. SIZES: services per environment (make bench SIZES=50 for a quick look).
SIZES ?= 50,200,1000
REPEAT ?= 5
bench: $(STAMP)
	$(BIN)/python -m generator.bench.commands --sizes $(SIZES) --repeat $(REPEAT) --doc docs/benchmarks.md

# Peer tools (Kapitan, make-argocd-fly, kubernetes-validate, check-jsonschema) beside our commands, per
# document; they live in their own pinned venv (.venv-peers, git-ignored), never in `make test`.
PEERS_VENV := .venv-peers
PEERS_REQUIREMENTS := generator/bench/peers-requirements.txt
PEERS_STAMP := $(PEERS_VENV)/.installed
PEER_SIZES ?= 200
$(PEERS_STAMP): $(PEERS_REQUIREMENTS)
	rm -rf $(PEERS_VENV)
	$(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/pip install --quiet --disable-pip-version-check -r $(PEERS_REQUIREMENTS)
	touch $(PEERS_STAMP)

bench-peers: $(STAMP) $(PEERS_STAMP)
	$(BIN)/python -m generator.bench.peers --sizes $(PEER_SIZES) --repeat $(REPEAT) --venv $(PEERS_VENV) --crd-dir $(GITOPS_GEN_CRDS) --doc docs/benchmarks.md

# The per-stage figures of earlier issues (in-process sections, one 200-service fleet).
bench-stages: $(STAMP)
	$(BIN)/python -m generator.bench

# Longer fuzzing than `make test` (which runs 25 examples per property): the same properties, 500 examples.
fuzz: $(STAMP)
	GITOPS_GEN_FUZZ_EXAMPLES=$${GITOPS_GEN_FUZZ_EXAMPLES:-500} $(BIN)/pytest -q -p no:cacheprovider tests/test_env_fuzz.py tests/test_yaml_fuzz.py tests/policy/test_fuzz.py tests/policy/test_fuzz_mutate.py tests/schema/test_never_raises.py

golden: $(STAMP)
	$(BIN)/pytest -q tests/test_golden.py tests/test_request_path_doc.py --update-golden

# docs/environment-reference.md is generated from generator/env.schema.json (a test keeps it fresh)
docs: $(STAMP)
	$(BIN)/gitops-gen schema --format markdown > docs/environment-reference.md

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(PEERS_VENV) .pytest_cache .mypy_cache .ruff_cache
