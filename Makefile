# netmob_tor: two commands do everything on a fresh machine.
#   make demo   set up, generate the embedded synthetic data, build, analyse, report
#   make test   the same set-up, then every test
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
DATA_ROOT ?= data/embedded
export NETMOB_TOR_DATA_ROOT := $(DATA_ROOT)
SEED ?= 20190316
SCALE ?= 20

.PHONY: demo test setup data build analyze report test-python clean bench

demo: build
	$(BIN)/netmob-tor summary

test: build
	$(BIN)/python -m pytest -q

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/netmob-tor install-spatial
	touch $(STAMP)

data: $(DATA_ROOT)/.complete

$(DATA_ROOT)/.complete: $(STAMP)
	$(BIN)/netmob-tor generate --out $(DATA_ROOT) --seed $(SEED) --scale $(SCALE)

build: data
	$(BIN)/dbt build --quiet --warn-error-options '{"error": ["NoNodesForSelectionCriteria"]}' || $(BIN)/dbt build

clean:
	rm -rf $(VENV) data target logs warehouse
