# The doors: install, test, lint, bench. CI runs the same targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: install test test-unit test-integration lint bench mutation clean

install: $(BIN)/runbookctl

$(BIN)/runbookctl: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@
	@echo "installed: $(BIN)/runbookctl"

test: install
	$(BIN)/pytest -q -n 2 $(PYTEST_ARGS)

test-unit: install
	$(BIN)/pytest -q tests/unit $(PYTEST_ARGS)

test-integration: install
	$(BIN)/pytest -q -n 2 tests/integration $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	$(BIN)/pip install --quiet -e '.[dev,bench]'  # fabric: a yardstick, not a dependency
	$(BIN)/python benchmarks/run_all.py

# Mutation testing of engine/ against its in-process tests ([tool.mutmut] in
# pyproject.toml). Minutes of CPU: not part of `test` nor CI. MUTATION_JOBS=2 by
# default (the machine is shared); `mutmut browse` shows the survivors.
MUTATION_JOBS ?= 2
mutation: install
	rm -rf mutants
	$(BIN)/mutmut run --max-children $(MUTATION_JOBS)
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache mutants
