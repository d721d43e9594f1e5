# Tongban — the two commands are `make run` and `make test`; `make help` lists the rest.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install run serve test check fmt demo bench clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-9s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; set PYTHON=python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP) ## create .venv and install the hub with its development tools

run: $(STAMP) ## start everything on the embedded default (SQLite + embedded Kafka + demo)
	$(VENV)/bin/tongban run

test: $(STAMP) ## run the whole suite (SQLite; PostgreSQL too when TONGBAN_TEST_DATABASE_URL is set)
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

check: $(STAMP) ## ruff format --check, ruff check, mypy, lint-imports
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

fmt: $(STAMP) ## format and autofix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

demo: $(STAMP) ## run the one-thing stories against a running `make run`
	$(VENV)/bin/tongban demo

bench: $(STAMP) ## measure the hub beside its floors; writes bench/results/
	$(PY) -m bench

clean: ## remove the virtualenv and local state (var/)
	rm -rf $(VENV) var
