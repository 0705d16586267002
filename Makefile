# reportgen: `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SYSSTAMP := $(VENV)/.sysdeps
TESTSTAMP := $(VENV)/.sysdeps-test
SPARKSTAMP := $(VENV)/.spark
PERIOD ?= $(shell date +%Y-%m)
OUT ?= output
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install sysdeps spark report test bench-spark lint format typecheck golden bench sample send clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.lock pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@# the package's bytecode, as a regular install writes it: with PYTHONDONTWRITEBYTECODE set (containers),
	@# Python would otherwise compile every module at every start, in each of a run's processes
	$(PY) -m compileall -q reportgen >/dev/null
	@touch $(STAMP)

$(SYSSTAMP): scripts/sysdeps.sh | $(VENV)/bin/python
	bash scripts/sysdeps.sh
	@touch $(SYSSTAMP)

$(TESTSTAMP): scripts/sysdeps.sh | $(VENV)/bin/python
	bash scripts/sysdeps.sh test
	@touch $(TESTSTAMP)

# the Spark engine: pyspark from its own lock (make report / install do not need it) and the Java runtime
$(SPARKSTAMP): requirements-spark.lock scripts/sysdeps.sh | $(STAMP)
	bash scripts/sysdeps.sh spark
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-spark.lock
	@touch $(SPARKSTAMP)

spark: $(SPARKSTAMP) ## install the optional Spark engine (pyspark and a Java 17 runtime)

sysdeps: $(SYSSTAMP) $(TESTSTAMP) ## install missing system libraries and test tools (pango, poppler, chromium)

install: $(STAMP) $(SYSSTAMP) ## create .venv with the pinned packages and the system libraries (idempotent)

report: install ## write the report for the bundled sample (PERIOD=YYYY-MM, OUT=dir, ARGS=extra flags)
	$(PY) -m reportgen run --period $(PERIOD) --out $(OUT) $(ARGS)

send: install ## e-mail the briefing of PERIOD over SMTP (ARGS=--resend to send again)
	$(PY) -m reportgen send --period $(PERIOD) --out $(OUT) $(ARGS)

test: install $(TESTSTAMP) $(SPARKSTAMP) ## run the whole test suite, linters and type checks
	$(PY) -m ruff check reportgen tests
	$(PY) -m ruff format --check reportgen tests
	$(PY) -m mypy
	$(PY) -m pytest -q

lint: install ## ruff lint and format check
	$(PY) -m ruff check reportgen tests
	$(PY) -m ruff format --check reportgen tests

format: install ## apply ruff formatting and safe fixes
	$(PY) -m ruff check --fix reportgen tests
	$(PY) -m ruff format reportgen tests

typecheck: install ## mypy on reportgen/
	$(PY) -m mypy

golden: install ## accept intended changes to the golden files in tests/golden/
	REPORTGEN_UPDATE_GOLDEN=1 $(PY) -m pytest -q tests/documents/test_html.py

sample: install ## regenerate the bundled sample data (byte-identical for the same seed)
	$(PY) -m reportgen.dev.sample --out data/sample/customers.csv

bench: install ## benchmark the analysis and the report (wall time, peak memory)
	$(PY) -m reportgen.dev.bench $(ARGS)

bench-spark: install $(SPARKSTAMP) ## the Spark engine next to the local one: 1M customers, 10M purchase lines
	$(PY) -m reportgen.dev.bench_spark $(ARGS)

clean: ## remove generated output and caches (keeps .venv)
	rm -rf output .pytest_cache .mypy_cache .ruff_cache
