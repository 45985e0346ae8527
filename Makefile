# Hansa: one command set. Every target installs what it needs first.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test test-fast check bench migration clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make demo: migrate and seed ./hansa.db (SQLite, in-process bus) once, then serve it
demo: install
	$(VENV)/bin/hansa demo

## make test: the whole suite; PostgreSQL and NATS tests skip when those servers are absent
##            (under CI=true they are required)
test: install
	$(PY) -m pytest -n 2

## make test-fast: unit tests only (no servers, seconds)
test-fast: install
	$(PY) -m pytest tests/unit

## make check: lint, types and the layering contracts
check: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

## make bench: throughput, latency, memory and start-up, written to bench/results/
bench: install
	$(PY) bench/run.py
	$(PY) bench/sim.py
	$(PY) bench/tracking.py
	$(PY) bench/o2c.py
	$(PY) bench/suppliers.py
	$(PY) bench/automation.py
	$(PY) bench/demand.py

## make migration: regenerate the initial migration from the models (pre-release only)
migration: install
	$(PY) -m hansa.migrations.autogen

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache hansa.db hansa.db-wal hansa.db-shm
