# Aoineco Ledger: the commands a newcomer needs.  See README.md.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
ANVIL  := node_modules/.bin/anvil

.PHONY: install test check lint typecheck demo bench clean

install: $(BIN)/.installed $(ANVIL)

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# anvil comes from npm as a prebuilt binary inside the package; tests find it here.
$(ANVIL): package.json
	npm install --no-audit --no-fund --silent
	touch $@

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

check: lint typecheck

test: check
	$(BIN)/python -m pytest

demo: install
	$(BIN)/aoineco-ledger demo

bench: install
	$(BIN)/python bench/ledger_bench.py
	$(BIN)/python bench/store_bench.py
	$(BIN)/python bench/rpc_bench.py
	$(BIN)/python bench/daemon_bench.py
	$(BIN)/python bench/api_bench.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
