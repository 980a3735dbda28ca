# 小さな拠点モニター — the two commands a newcomer needs:
#   make run    the dashboard on the embedded sample data (http://localhost:8501)
#   make test   ruff and every test, browser tests included
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROFILES := $(basename $(notdir $(wildcard data/profiles/*.toml)))  # every profile
PYTEST_ARGS ?=
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run serve test lint warehouse boundaries system-deps sample bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# Build the warehouse from data/sample/ unless one is already published.
warehouse: $(VENV)/.runtime
	$(BIN)/python -m etl build --if-missing

# Try MLIT's N03 download for each profile; offline, the map falls back to points.
boundaries: $(VENV)/.runtime
	@for p in $(PROFILES); do \
	  $(BIN)/python -m etl boundaries --profile $$p --if-missing --timeout 20 --quiet \
	    || echo "($$p) 境界データを取得できませんでした。地図は市町村の代表点で表示します。"; \
	done

run: warehouse boundaries
	$(BIN)/streamlit run app.py

# REPLICAS Streamlit processes behind nginx with sticky sessions (http://127.0.0.1:8501);
# SERVE_ARGS passes --port / --bind to deploy/serve.py. nginx comes with `make system-deps`.
REPLICAS ?= 2
SERVE_ARGS ?=
serve: warehouse boundaries
	$(BIN)/python deploy/serve.py --replicas $(REPLICAS) $(SERVE_ARGS)

# Debian's Chromium, CJK fonts and poppler for the browser and export tests, nginx for
# `make serve` and its test (installed as root).
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1 \
	    || ! { command -v nginx || test -x /usr/sbin/nginx; } >/dev/null 2>&1 \
	    || ! fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium chromium-driver fonts-noto-cjk poppler-utils nginx >/dev/null; \
	  else \
	    echo "chromium / fonts-noto-cjk / poppler-utils / nginx がありません（root で make test を実行すると導入します）"; \
	  fi; \
	fi

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(VENV)/.dev system-deps lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

sample: $(VENV)/.runtime
	$(BIN)/python -m etl sample

bench: $(VENV)/.dev
	$(BIN)/python -m bench etl
	$(BIN)/python -m bench pages
	$(BIN)/python -m bench export
	$(BIN)/python -m bench load --sessions 20

clean:
	rm -rf $(VENV) data/warehouse .pytest_cache test-output
