# Propel Admin: `make run` starts everything, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-services lint format bench install clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py runstack

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The tests that depend on the database or queue server, against whatever DATABASE_URL
# and REDIS_URL say (.ci/run points them at PostgreSQL and a Redis server).
test-services: $(STAMP)
	$(BIN)/python -m pytest -m services $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy propel_admin

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# `make bench` runs every benchmark; `make bench review` (or any names) just those.
BENCH_NAMES := $(filter-out bench,$(MAKECMDGOALS))
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_NAMES)

ifeq (bench,$(firstword $(MAKECMDGOALS)))
$(BENCH_NAMES):
	@:
endif

clean:
	rm -rf $(VENV) var/test-db.sqlite3*
