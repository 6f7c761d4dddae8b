# tinhso — two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# Front-end libraries (ECharts, Leaflet plugins, hls.js, PMTiles) from npm with the committed lock
# file, copied into tinhso/web/static/vendor (git-ignored): the pages never load a CDN.
ASSETS := tinhso/web/static/vendor/versions.json
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-test assets demo test test-sqlite test-postgres lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install -q -e '.[test]'
	touch $@

$(ASSETS): frontend/package.json frontend/package-lock.json frontend/assets.mjs
	cd frontend && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	node frontend/assets.mjs

assets: $(ASSETS)

install: $(STAMP) $(ASSETS)

install-test: $(TEST_STAMP) $(ASSETS)

demo: $(STAMP) $(ASSETS)
	$(BIN)/tinhso demo --host $(HOST) --port $(PORT)

# The whole suite: SQLite always; PostgreSQL when its binaries are on the machine
# (scripts/with-postgres starts a throwaway cluster on 127.0.0.1 and removes it after).
# The two passes run at the same time (scripts/test-passes; TINHSO_TEST_SERIAL=1 for one after the other).
test: $(TEST_STAMP) $(ASSETS)
	$(BIN)/ruff check tinhso tests bench
	scripts/test-passes $(BIN)/python

test-sqlite: $(TEST_STAMP) $(ASSETS)
	$(BIN)/python -m pytest

test-postgres: $(TEST_STAMP)
	@if scripts/with-postgres true >/dev/null 2>&1; then \
		scripts/with-postgres $(BIN)/python -m pytest -m "not e2e and not once"; \
	elif [ -n "$$CI" ]; then echo "PostgreSQL is required in CI but could not be started" >&2; exit 1; \
	else echo "PostgreSQL binaries not found: skipped the PostgreSQL run (bash .ci/run installs them)"; fi

lint: $(TEST_STAMP)
	$(BIN)/ruff check tinhso tests bench

clean:
	rm -rf $(VENV) var/*.sqlite3* frontend/node_modules tinhso/web/static/vendor
