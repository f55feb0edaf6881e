# Whirlpool: the two commands are `make run` (set up, then one full cycle) and `make test`.
# Everything installs into .venv from pyproject.toml (pinned versions); re-running is cheap.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: setup run demo test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[airflow,dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

run: setup            ## set up, then one full cycle: collect → process → index → alerts
	$(BIN)/whirlpool run

demo: setup           ## the whole product on the built-in sample site, no network needed
	$(BIN)/whirlpool demo

test: setup           ## lint, the import layers, then the whole test suite
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: setup          ## every benchmark (several minutes)
	$(BIN)/python -m bench

clean:
	rm -rf data .pytest_cache
