# Each target creates .venv and installs what it needs on a fresh clone, then runs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SEEDS ?= ../shared/seeds
OUT ?= ./data
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1

.PHONY: demo test lint browser bench quality serve clean

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

## demo: start the bundled demo site on 127.0.0.1, crawl it, ingest the user's seeds, into ./data
demo: $(BIN)/.installed
	$(BIN)/contentpipe demo --out $(OUT) $(if $(wildcard $(SEEDS)),--seeds $(SEEDS))

## test: lint, type-check and run the test suite
test: $(BIN)/.installed lint browser
	$(BIN)/pytest

# The UI test drives Debian's chromium; a fresh machine lacks it (apt needs root, as in CI).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## bench: throughput and memory figures (see bench/README.md)
bench: $(BIN)/.installed
	$(BIN)/python bench/run.py
	$(BIN)/python bench/crawl.py
	$(BIN)/python bench/dedup_sweep.py
	$(BIN)/python bench/faults.py
	$(BIN)/python bench/quality/aeb.py

## quality: extraction on AEB and WCXB-dev beside plain trafilatura, the SEO dev set, dedup dev set
quality: $(BIN)/.installed
	$(BIN)/python bench/quality/aeb.py
	$(BIN)/python bench/quality/wcxb.py
	$(BIN)/python bench/quality/seo.py
	$(BIN)/python bench/dedup_sweep.py

## serve: local Prefect server + UI on 127.0.0.1:4200, the deployments, a worker (Ctrl-C stops)
serve: $(BIN)/.installed
	deploy/serve.sh

clean:
	rm -rf $(VENV) $(OUT) .mypy_cache .ruff_cache .pytest_cache
