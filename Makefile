# Spreekuur. Two commands matter:
#   make run    the zero-setup demo (SQLite, filesystem broker, SMS printed by the worker)
#   make test   the whole suite against PostgreSQL and Redis
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# Stamp: reinstall only when pyproject.toml is newer than the last install.
INSTALLED := $(VENV)/.installed
# Catalogues to extract: those already in locale/, or Dutch to begin with.
LOCALES ?= $(or $(notdir $(wildcard locale/*)),nl)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run test lint messages bench clean distclean

help:
	@echo "make run        demo on http://$(HOST):$(PORT)/ (SQLite, filesystem broker, console SMS)"
	@echo "make test       the test suite (needs PostgreSQL and Redis; see README)"
	@echo "make lint       ruff and a check for missing migrations"
	@echo "make messages   extract and compile the gettext catalogues in locale/"
	@echo "make bench      booking throughput on PostgreSQL"
	@echo "make clean      remove caches, broker files, collected static files and the demo database"
	@echo "make distclean  clean, and remove $(VENV)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

install: $(INSTALLED)

# The demo ignores DATABASE_URL, REDIS_URL and a Twilio setup in the shell or in .env: it always
# runs on the SQLite file, the filesystem broker and the console gateway. Set explicitly rather
# than unset, because settings.py reads .env for whatever the environment lacks.
run: export DEBUG := 1
run: export DATABASE_URL := sqlite:///$(CURDIR)/db.sqlite3
run: export REDIS_URL :=
run: export CELERY_BROKER_URL := filesystem://
run: export CELERY_FS_DIR := $(CURDIR)/.celery
run: export CELERY_TASK_ALWAYS_EAGER := 0
run: export SMS_GATEWAY := notifications.gateways.ConsoleGateway
run: install
	@mkdir -p .celery/messages .celery/control
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	@echo "==> Worker (with beat) in the background; the web server on http://$(HOST):$(PORT)/"
	@echo "    Admin: http://$(HOST):$(PORT)/admin/  API docs: http://$(HOST):$(PORT)/api/docs/"
	@echo "    Users admin, sam, carla, olga; password spreekuur-demo. Ctrl-C stops both."
	@# A background job in a non-interactive shell ignores Ctrl-C, so the trap stops the worker.
	@trap '[ -n "$${worker:-}" ] && kill -TERM $$worker 2>/dev/null && wait $$worker || true' EXIT; \
	trap 'exit 130' INT TERM; \
	$(BIN)/celery -A config worker -B --pool solo --loglevel warning \
		--schedule .celery/beat-schedule --without-gossip --without-mingle & worker=$$!; \
	$(MANAGE) runserver $(HOST):$(PORT)

# Database and Redis come from DATABASE_URL and REDIS_URL when set, else the local defaults in
# tests/servers.py. Extra pytest arguments: make test PYTEST_ARGS="-k waitlist -x".
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	DEBUG=1 $(MANAGE) makemigrations --check --dry-run

messages: install
	DEBUG=1 $(MANAGE) makemessages $(addprefix --locale=,$(LOCALES)) --ignore=.venv --ignore=tests
	DEBUG=1 $(MANAGE) compilemessages --ignore=.venv

# Needs PostgreSQL (row locks and real concurrency): DATABASE_URL, default the local test database.
bench: install
	$(BIN)/python bench/booking_throughput.py $(BENCH_ARGS)

clean:
	rm -rf .celery control staticfiles .pytest_cache .ruff_cache .hypothesis bench/results
	rm -f db.sqlite3 celerybeat-schedule*
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) *.egg-info
