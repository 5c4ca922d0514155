# CQO Registry — developer commands. `make help` lists them.
#
# Everything runs from the project's own virtualenv (.venv), created on first use. The install
# step is remembered by a stamp file that depends on pyproject.toml, so it reruns only when the
# dependencies change.

.DEFAULT_GOAL := help
SHELL := /bin/bash

# Python 3.11: python3.11 if present, else python3 when that is 3.11. Override: make PYTHON=...
PYTHON ?= $(shell for candidate in python3.11 python3; do \
	  if $$candidate -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then \
	    echo $$candidate; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
ARGS ?=

# `make run` installs the runtime dependencies; `make test` (and the dev tools) add the dev extra.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: help run test lint format migrate messages bench clean

help: ## List the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Python 3.11 is required (python3.11 or python3 being 3.11 on PATH)." >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[dev]'
	@touch $@ $(RUN_STAMP)

run: $(RUN_STAMP) ## Install, migrate, load the demo county, serve on http://127.0.0.1:8000
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Serving on http://$(HOST):$(PORT)/ — sign in as admin / Demo@2026 (Ctrl-C stops)."
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(DEV_STAMP) ## Run the whole test suite (extra pytest arguments: make test ARGS="-k foo")
	$(BIN)/pytest $(ARGS)

lint: $(DEV_STAMP) ## Check code style (ruff lint and format check)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_STAMP) ## Reformat the code and fix what ruff can fix
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(RUN_STAMP) ## Apply database migrations
	$(BIN)/python manage.py migrate --noinput

# makemessages walks the whole tree: keep the virtualenv, vendored assets and tests out of it.
MESSAGES_IGNORE := --ignore=.venv --ignore=var --ignore=static/vendor --ignore=bench --ignore=tests
messages: $(RUN_STAMP) ## Update and compile the English translation (locale/en)
	$(BIN)/python manage.py makemessages --locale=en --no-obsolete $(MESSAGES_IGNORE)
	$(BIN)/python manage.py compilemessages --locale=en $(MESSAGES_IGNORE)

bench: $(DEV_STAMP) ## Run the benchmarks in bench/ (PostgreSQL at 127.0.0.1:5432; ARGS="--rows 2000")
	@shopt -s nullglob; scripts=(bench/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "No benchmark scripts in bench/." >&2; exit 1; fi; \
	for script in "$${scripts[@]}"; do echo "== $$script"; $(BIN)/python "$$script" $(ARGS) || exit 1; done

clean: ## Remove the virtualenv, caches and collected static files (keeps db.sqlite3, uploads)
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info var/staticfiles test-artifacts
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
