# CQO Registry — developer commands. `make help` lists them.
#
# Everything runs from the project's own virtualenv (.venv), created on first use. Packages come
# from the lock files in requirements/ (exact versions with their hashes, made from the ranges in
# pyproject.toml by `make lock`); the install step is remembered by a stamp file that depends on
# the lock file, so it reruns only when the pins change.

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
RUN_LOCK := requirements/run.txt
DEV_LOCK := requirements/dev.txt
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
# `make wheelhouse`: where, and for which server: its processor and the minor version of its C
# library, glibc 2.N (`ldd --version`). Default Debian 12 on x86-64 (glibc 2.36); e.g.
# WHEEL_ARCH=aarch64 WHEEL_GLIBC=28 for an ARM server with glibc 2.28.
WHEELHOUSE ?= wheelhouse
WHEEL_ARCH ?= x86_64
WHEEL_GLIBC ?= 36
# Pure-Python dependencies published as source only: built into wheels from their hash-checked
# source (deploy/split_lock.py), since no platform download exists for them.
SDIST_ONLY := django-ranged-response
WHEEL_PLATFORMS = $(foreach minor,$(shell seq 5 $(WHEEL_GLIBC)),--platform manylinux_2_$(minor)_$(WHEEL_ARCH)) \
  $(foreach legacy,manylinux1 manylinux2010 manylinux2014,--platform $(legacy)_$(WHEEL_ARCH))
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --custom-compile-command "make lock" --quiet

.PHONY: help run test lint format migrate messages bench backup restore lock wheelhouse clean

help: ## List the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Python 3.11 is required (python3.11 or python3 being 3.11 on PATH)." >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): $(RUN_LOCK) | $(BIN)/python
	$(BIN)/pip install --require-hashes -r $(RUN_LOCK)
	@touch $@

$(DEV_STAMP): $(DEV_LOCK) | $(BIN)/python
	$(BIN)/pip install --require-hashes -r $(DEV_LOCK)
	@touch $@ $(RUN_STAMP)

run: $(RUN_STAMP) ## Install, migrate, load the demo county, serve on http://$(HOST):$(PORT) (default 127.0.0.1:8000)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@$(BIN)/python manage.py pdf_support
	@echo "Serving on http://$(HOST):$(PORT)/ — sign in as admin / Demo@2026 (Ctrl-C stops; HOST=0.0.0.0 PORT=8080 make run to change)."
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

backup: $(RUN_STAMP) ## Back up the database and private files into one archive (CQO_BACKUP_DIR)
	$(BIN)/python manage.py backup $(ARGS)

restore: $(RUN_STAMP) ## Restore an archive into an empty database: make restore ARCHIVE=path.tar
	@if [ -z "$(ARCHIVE)" ]; then \
	  echo "Usage: make restore ARCHIVE=var/backups/cqo-backup-YYYYMMDD-HHMMSS.tar [ARGS=--force]" >&2; \
	  exit 2; fi
	$(BIN)/python manage.py restore "$(ARCHIVE)" $(ARGS)

# makemessages walks the whole tree: keep the virtualenv, vendored assets and tests out of it,
# and the copies of packages' admin templates (their strings are in the packages' catalogues).
MESSAGES_IGNORE := --ignore=.venv --ignore=var --ignore=static/vendor --ignore=bench --ignore=tests \
  --ignore=templates/admin --ignore=templates/simple_history
messages: $(RUN_STAMP) ## Update and compile the English translation (locale/en)
	$(BIN)/python manage.py makemessages --locale=en --no-obsolete $(MESSAGES_IGNORE)
	$(BIN)/python manage.py compilemessages --locale=en $(MESSAGES_IGNORE)

bench: $(DEV_STAMP) ## Run the benchmarks in bench/ (PostgreSQL at 127.0.0.1:5432; ARGS="--rows 2000")
	@shopt -s nullglob; scripts=(bench/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "No benchmark scripts in bench/." >&2; exit 1; fi; \
	for script in "$${scripts[@]}"; do echo "== $$script"; $(BIN)/python "$$script" $(ARGS) || exit 1; done

lock: | $(BIN)/python ## Re-pin requirements/*.txt with hashes from pyproject.toml (needs the internet)
	@$(BIN)/uv --version >/dev/null 2>&1 || $(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) -o $(RUN_LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_FLAGS) -o $(DEV_LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra ci $(LOCK_FLAGS) -o requirements/ci.txt

wheelhouse: | $(BIN)/python ## Download the production wheels (hash-checked) for an offline server
	rm -rf $(WHEELHOUSE) && mkdir -p $(WHEELHOUSE)
	$(BIN)/python deploy/split_lock.py split $(RUN_LOCK) $(WHEELHOUSE)/.binary.txt $(WHEELHOUSE)/.sdist.txt $(SDIST_ONLY)
	$(BIN)/pip download --require-hashes --no-deps --only-binary=:all: \
	  $(WHEEL_PLATFORMS) --python-version 3.11 --implementation cp --abi cp311 \
	  -r $(WHEELHOUSE)/.binary.txt -d $(WHEELHOUSE)
	$(BIN)/pip wheel --require-hashes --no-deps -r $(WHEELHOUSE)/.sdist.txt -w $(WHEELHOUSE)
	$(BIN)/pip download --no-deps --only-binary=:all: -d $(WHEELHOUSE) pip
	cp $(RUN_LOCK) $(WHEELHOUSE)/requirements.txt
	$(BIN)/python deploy/split_lock.py pin-built $(WHEELHOUSE)/requirements.txt $(WHEELHOUSE) $(SDIST_ONLY)
	rm $(WHEELHOUSE)/.binary.txt $(WHEELHOUSE)/.sdist.txt
	cd $(WHEELHOUSE) && sha256sum *.whl requirements.txt > SHA256SUMS
	@echo "$(WHEELHOUSE)/: $$(ls $(WHEELHOUSE)/*.whl | wc -l) wheels for CPython 3.11, $(WHEEL_ARCH), glibc 2.$(WHEEL_GLIBC)."

clean: ## Remove the virtualenv, caches and collected static files (keeps db.sqlite3, uploads)
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info var/staticfiles test-artifacts
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
