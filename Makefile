# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app crm_web

.PHONY: install run test bench bench-import lint format db-stop clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
		{ echo "crm_web needs Python 3.11 or newer (found: $$($(PYTHON) --version 2>&1)). Set PYTHON=python3.12 or similar."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

## Serve http://127.0.0.1:5000 on the embedded PostgreSQL (or DATABASE_URL when set), with a
## job worker beside it; Ctrl-C stops both.
run: install
	$(FLASK) db upgrade
	@export CRM_ENV=$${CRM_ENV:-development}; \
	$(FLASK) crm worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' INT TERM EXIT; \
	$(FLASK) run --host 127.0.0.1 --port 5000

## The whole suite, on the embedded PostgreSQL unless TEST_DATABASE_URL is set: TEST_WORKERS
## pytest-xdist workers (a database each; one file stays on one worker), then the tests that stop
## the shared cluster, alone. One outside database (TEST_DATABASE_URL) can't be shared: no workers.
TEST_WORKERS ?= $(if $(TEST_DATABASE_URL),0,2)
test: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile -m "not exclusive"
	$(BIN)/pytest -m exclusive

## Load 1,000,000 contacts (once) and measure the main pages under gunicorn.
bench: install
	$(BIN)/python -m crm_web.tools.bench

## Export every contact, import a 100,000-row contacts CSV and make 10,000 contacts through API
## bulk on the bench database (crm_web/tools/bench_import.py); rows/s and CPU per row, the
## contact list's p95 during the import, peak memory of web and job.
bench-import: install
	$(BIN)/python -m crm_web.tools.bench_import

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Stop the embedded PostgreSQL cluster (it keeps running between `make run`s).
db-stop: install
	$(BIN)/python -m crm_web.core.embedded_db stop instance/pgdata

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
