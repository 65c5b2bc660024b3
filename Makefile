# Two commands on a fresh machine: `make demo` (runs the main job offline) and `make test`.
# Both create or update the virtual environment in .venv idempotently.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= demo-out

.PHONY: venv demo test test-all lint bench clean sandbox-deps

$(STAMP): pyproject.toml setup.py schedbench/solvers/_smtt_core.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/python -m schedbench.demo --out $(DEMO_DIR)

# mypy checks the package (configuration in pyproject.toml); its cache in .mypy_cache makes a rerun take seconds
lint: venv
	$(BIN)/ruff check schedbench tests bench
	$(BIN)/ruff format --check schedbench tests bench
	$(BIN)/python -m mypy --cache-dir .mypy_cache

# Untrusted programs run under bubblewrap (Debian's bubblewrap): installed with apt-get when missing and possible.
sandbox-deps:
	@command -v bwrap >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] \
	  || (DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null) \
	  || echo "warning: could not install bubblewrap; the sandbox tests will fail" >&2
	@command -v bwrap >/dev/null 2>&1 || echo "bubblewrap missing: apt-get install bubblewrap (as root)" >&2

# the everyday tier (lint included): everything but the checks marked slow (full published sets, throughput runs)
test: venv lint sandbox-deps
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

# every test, the slow tier included
test-all: venv lint sandbox-deps
	$(BIN)/python -m pytest -n 2 -q

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(DEMO_DIR)
