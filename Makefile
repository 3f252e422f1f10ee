# synerise-async — every target creates the virtualenv it needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: help demo demo-cluster test test-fast test-cluster redis-server lint typecheck generate normalise pull diff check-generated lock check-lock coverage bench bench-quick clean

help:
	@echo "make demo             run the ETL demo against the built-in fake Synerise"
	@echo "make test             lint, type-check, drift-check and run the whole test suite"
	@echo "make test-cluster     only the multi-process tests (real Redis, real Dask cluster)"
	@echo "make demo-cluster     the Dask ETL demo: 4 workers, one killed mid-run, 1M events"
	@echo "make generate         regenerate synerise_async/api, models, types.py from openapi/"
	@echo "make diff             API changes (Markdown) between DIFF_BASE (default HEAD) and openapi/"
	@echo "make check-generated  fail if generated code differs from what openapi/ produces"
	@echo "make pull             download the published whole-API spec, split by tag (needs network;"
	@echo "                      PULL_ARGS='--areas' for the per-area documents, '--no-split', ...)"
	@echo "make bench            run the benchmarks and write BENCHMARKS.md"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/etl.py

## The ETL job on a Dask LocalCluster (4 worker processes, one killed mid-run, 1,000,000
## events, shared Redis token cache and rate budget); a few minutes on a busy 2-core box.
demo-cluster: $(STAMP) redis-server
	$(PY) examples/dask_etl.py --events 1000000 --partitions 40 --workers 4

LINT_PATHS := synerise_async codegen tests examples $(wildcard bench)

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

typecheck: $(STAMP)
	$(VENV)/bin/mypy

test: $(STAMP) redis-server lint typecheck check-generated
	$(PY) -m pytest -W error::ResourceWarning -q

test-fast: $(STAMP) redis-server
	$(PY) -m pytest -W error::ResourceWarning -q -m "not slow"

## The scale-out tests alone: token caches and rate budgets shared by real processes
## through a real redis-server, and the Dask example on a real LocalCluster.
test-cluster: $(STAMP) redis-server
	$(PY) -m pytest -W error::ResourceWarning -q tests/scale

## The tests start their own redis-server; install the binary (Debian package) if missing.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; \
	  else \
	    echo "redis-server is missing: install it (apt-get install redis-server, brew install redis)" >&2; \
	    exit 1; \
	  fi; }

# --- code generation (owned by codegen/; merge into the Makefile) -------------------
# Assumes PY=.venv/bin/python. Every target runs `python -m codegen <command>`.

## Regenerate synerise_async/{api,models,types.py} from openapi/ (normalise first).
generate: $(STAMP)
	$(PY) -m codegen generate

## Download the published spec (all or nothing) and update openapi/spec.lock.json.
## PULL_ARGS: --whole openapi-json|URL, --no-split, --areas, --url AREA=URL, --only.
PULL_ARGS ?=
pull: $(STAMP)
	$(PY) -m codegen pull $(PULL_ARGS)

## What changed for SDK users: the spec shipped at DIFF_BASE vs openapi/documents now.
## Markdown for CHANGELOG.md; e.g. `make diff DIFF_BASE=v0.1.0`.
DIFF_BASE ?= HEAD
diff: $(STAMP)
	$(PY) -m codegen diff $(DIFF_BASE):synerise_async/api/openapi.json openapi/documents

## Merge openapi/documents, apply openapi/overlays, fix/check -> openapi/build/synerise.json.
normalise: $(STAMP)
	$(PY) -m codegen normalise

## Fail if the committed generated code differs from a fresh generation (CI runs this).
check-generated: $(STAMP)
	$(PY) -m codegen lock --check
	$(PY) -m codegen check

## Record sha256 + date of hand-edited documents in openapi/spec.lock.json.
lock: $(STAMP)
	$(PY) -m codegen lock

check-lock: $(STAMP)
	$(PY) -m codegen lock --check

## Render openapi/COVERAGE.md (operations per category, confidence, unplaceable list).
coverage: $(STAMP)
	$(PY) -m codegen coverage

## Full benchmark run (issue 5): writes BENCHMARKS.md; ~10-15 min on the 2-core machine.
bench: $(STAMP)
	$(PY) -m bench --output BENCHMARKS.md

## Under 3 minutes: fewer repetitions and smaller workloads (labelled as such in the file).
bench-quick: $(STAMP)
	$(PY) -m bench --quick --output BENCHMARKS.md

clean:
	rm -rf $(VENV) openapi/build .pytest_cache .mypy_cache .ruff_cache
