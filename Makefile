# Flourish: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HTMX := core/static/vendor/htmx.min.js

.PHONY: run test setup migrate seed evaluate bench lint format audit clean help

help:
	@echo "make run       set up, migrate, load demonstration data if empty, serve on http://$${HOST:-127.0.0.1}:$${PORT:-8000}"
	@echo "make test      set up, then run the whole test suite"
	@echo "make evaluate  score the matching engine against the written patient vignettes"
	@echo "make bench     run the benchmarks in bench/"
	@echo "make lint      ruff check and format check"
	@echo "make audit     check the pinned dependencies (requirements.lock) for known vulnerabilities"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Flourish needs Python 3.11 or newer (found " + sys.version.split()[0] + ")"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# requirements.lock pins every package to the version tested; pyproject.toml only gives ranges.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $@

# htmx comes from npm, pinned by package-lock.json; without npm every page still works.
$(HTMX): package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --silent && mkdir -p $(dir $(HTMX)) && cp node_modules/htmx.org/dist/htmx.min.js $(HTMX); \
	else \
		echo "npm not found: serving pages without htmx (they work without it)."; \
	fi

setup: $(VENV)/.installed
	@$(MAKE) --no-print-directory $(HTMX) || echo "Could not install htmx; pages still work without it."

migrate: setup
	$(BIN)/flourish migrate

seed: migrate
	$(BIN)/flourish seed --if-empty

run: seed
	@$(BIN)/flourish demo-sign-ins
	@echo "Serving Flourish on http://$${HOST:-127.0.0.1}:$${PORT:-8000} (Ctrl+C to stop)"
	$(BIN)/flourish serve

# One test process per core (pytest-xdist); PYTEST_ARGS="-n 0" runs them in one process.
PYTEST_ARGS ?= -n auto
test: setup
	$(BIN)/python -m pytest --durations=15 $(PYTEST_ARGS)

evaluate: setup
	$(BIN)/python bench/evaluate.py

bench: setup
	$(BIN)/python bench/match_latency.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Checks the pinned set against PyPI's vulnerability data. --strict also fails when a package could
# not be checked at all, so an audit that could not reach the data never passes as clean.
AUDIT_STRICT ?= --strict
audit: setup
	$(BIN)/pip-audit $(AUDIT_STRICT) --no-deps --disable-pip --progress-spinner off -r requirements.lock

clean:
	rm -rf $(VENV) node_modules .pytest_cache
