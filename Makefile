# make run   : create .venv, install, run the workflow on the embedded default (simulated sky)
# make test  : create/update .venv, run every check (make lint, then pytest)
# make lint  : ruff, ruff format --check, snakefmt --check, snakemake --lint, mypy src/qzo
# make bench : run the benchmarks, results in bench/results/*.json
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export PATH := $(BIN):$(PATH)

.PHONY: run test lint pytest bench dag clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps ASTROMER==0.1.8  # test-only reference
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake --cores all

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/snakemake --lint
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

test: lint pytest

bench: $(STAMP)
	$(BIN)/python -m bench

dag: $(STAMP)
	$(BIN)/snakemake -n --rulegraph

clean:
	rm -rf results logs benchmarks .snakemake
