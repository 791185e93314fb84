# The two commands: `make run` (the whole system on SQLite) and `make test` (lint, types, all tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
UP_ARGS ?=

.PHONY: run test install lint typecheck pytest bench proof fuzz clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Migrate every database, load the areas, run gateway :8000 and services :8001-8004 (Ctrl-C stops all);
## other ports: make run UP_ARGS='--base-port 9000'.
run: install
	$(BIN)/sasar up $(UP_ARGS)

## ruff, mypy, then pytest on SQLite and PostgreSQL (PostgreSQL is required when CI is set).
test: lint typecheck pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

## SASAR_TEST_CLEAN_TREE: fail the run if it leaves anything `git status` would show (tests/conftest.py).
pytest: install
	SASAR_TEST_CLEAN_TREE=1 $(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench

## The long proofs: 60 s of mixed load from one address (make test runs 15 s), relay, restart and kill faults.
proof: install
	SASAR_LOAD_SECONDS=60 $(BIN)/pytest -q -s tests/e2e/test_load.py tests/e2e/test_events.py tests/e2e/test_faults.py

## Schemathesis over the merged document as each principal kind (anonymous, village key, officer, internal
## client), SQLite and PostgreSQL, with more examples per operation than the bounded run in `make test`.
FUZZ_EXAMPLES ?= 100
fuzz: install
	SASAR_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -p no:randomly tests/e2e/test_robustness.py tests/e2e/test_robustness_tenants.py $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
