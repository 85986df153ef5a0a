# The two commands: `make run` (the app with demo data at http://localhost:8000) and `make test` (the suite).
# `make lint` runs ruff (rules in pyproject.toml); CI (.ci/run) runs lint and test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 2
# A safety net for memory, not the fix (docs/performance.md "One worker's memory"): gunicorn replaces a worker after
# about MAX_REQUESTS requests (a random 0..MAX_REQUESTS_JITTER more each, so workers do not restart together).
MAX_REQUESTS ?= 20000
MAX_REQUESTS_JITTER ?= 2000
TEST_WORKERS ?= 2  # pytest-xdist processes for make test; 0 runs the suite in one process

.PHONY: run test lint install install-dev migrate seed clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo

run: migrate
	$(FLASK) seed-demo --if-empty
	@echo
	@echo "  Shop is starting at http://localhost:$(PORT)"
	@echo "  Demo logins (password demo12345): owner@demo.shop, cashier@demo.shop, jeweller@demo.shop, salon@demo.shop"
	@echo "  Login codes are mailed to instance/outbox/ and printed in this console (no MAIL_SERVER set)."
	@echo
	@# The job runner (Huey, jobs.py: SQLite queue in instance/jobs.db unless JOB_QUEUE_URL says Redis) runs beside
	@# gunicorn and stops with it. Its scheduler backs the shop up daily into instance/backups (BACKUP_EVERY_HOURS).
	$(BIN)/huey_consumer jobs.huey --workers 1 --quiet & consumer=$$!; \
	trap 'kill $$consumer 2>/dev/null; wait $$consumer 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - \
	  --max-requests $(MAX_REQUESTS) --max-requests-jitter $(MAX_REQUESTS_JITTER) 'app:create_app()'

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

# One table of issue 17's figures against their goals (bench/report.py): quick by default; FULL=1 the issues' sizes
# and the 1M load; BENCH_MILLION=1 the 1M load in a quick run; BENCH_DATABASE_URL a PostgreSQL database to EMPTY.
# The other benches (bench/bench_*.py) run one by one: .venv/bin/python bench/bench_<name>.py --help.
bench: $(VENV)/.installed-dev
	@$(BIN)/python bench/report.py $(if $(filter 1 yes true,$(FULL)),--full) \
		$(if $(filter 1 yes true,$(BENCH_MILLION)),--million) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
