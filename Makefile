# make run   : create .venv, install, run the workflow on the embedded default (simulated sky)
# make test  : create/update .venv, run every check (make lint, then pytest: the workflow
#              tests and the unit tests side by side)
# make lint  : ruff, ruff format --check, snakefmt --check, snakemake --lint, mypy src/qzo
# make bench : run the benchmarks, results in bench/results/*.json
# make gpu-check  : the light-curve model's GPU figures (bench/results/gpu_check.json), with no
#                   venv: python3 with numpy, pyarrow, h5py, pyyaml and JAX (or TensorFlow), plus
#                   the wheels in .whl/ if there (make gpu-wheels); KERAS_BACKEND defaults to jax
# make gpu-wheels : download to .whl/ the pure-Python and small packages a GPU machine without
#                   TensorFlow lacks for gpu-check (Keras and the config's jsonschema), for Python
#                   GPU_PYTHON_VERSION (default 3.12, the lent GPU machines')
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export PATH := $(BIN):$(PATH)

.PHONY: run test lint pytest bench gpu-check gpu-wheels dag clean

PIP := $(BIN)/python -m pip install --quiet
# uv installs the same versions as pip, about 3x faster from a cold cache (1 min against 3 for a
# fresh .venv here); pip takes over where uv cannot (no uv wheel, an index only pip.conf names).
UV := $(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode
# The published Astromer package: a test-only reference, installed without its dependencies.
REFERENCE := ASTROMER==0.1.8

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) uv && $(UV) -e '.[dev,jax]' && $(UV) --no-deps $(REFERENCE) \
		|| { $(PIP) -e '.[dev,jax]' && $(PIP) --no-deps $(REFERENCE); }
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake --cores all

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/snakemake --lint
	$(BIN)/mypy

# The Snakemake and SLURM runs (marker `workflow`) mostly wait on their jobs, so the unit and
# project tests run beside them in a second pytest (own temporary folder), its report printed
# after the first's; `.venv/bin/pytest` alone runs everything in one process.
pytest: $(STAMP)
	@tmp=$$(mktemp -d); \
	$(BIN)/pytest -m "not workflow" -p no:cacheprovider --basetemp=$$tmp/base >$$tmp/log 2>&1 & \
	unit=$$!; $(BIN)/pytest -m workflow; workflow=$$?; wait $$unit; units=$$?; \
	echo "=== pytest -m 'not workflow' (ran beside the above) ==="; cat $$tmp/log; \
	rm -rf $$tmp; test $$workflow -eq 0 && test $$units -eq 0

test: lint pytest

bench: $(STAMP)
	$(BIN)/python -m bench

GPU_PYTHON ?= python3
KERAS_BACKEND ?= jax
GPU_WHEELS := .whl
GPU_PYTHON_VERSION ?= 3.12
GPU_SITE := .gpu-site
# Versions as pinned in pyproject.toml (keras, jsonschema) and as pip resolved them in .venv.
GPU_WHEEL_SPECS := keras==3.15.1 namex==0.1.0 optree==0.20.0 jsonschema==4.26.0 \
	jsonschema-specifications==2025.9.1 referencing==0.37.0 rpds-py==2026.9.1

gpu-check:
	if [ -d $(GPU_WHEELS) ]; then $(GPU_PYTHON) -m pip install -q --no-index --no-deps \
		--no-compile --no-cache-dir --upgrade --target $(GPU_SITE) $(GPU_WHEELS)/*.whl; fi
	PYTHONPATH=$(CURDIR)/$(GPU_SITE):$(CURDIR)/src KERAS_BACKEND=$(KERAS_BACKEND) \
		$(GPU_PYTHON) -m bench gpu_check

gpu-wheels: $(STAMP)
	$(BIN)/python -m pip download -q --no-deps --only-binary=:all: --python-version $(GPU_PYTHON_VERSION) \
		--implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
		--platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d $(GPU_WHEELS) \
		$(GPU_WHEEL_SPECS)

dag: $(STAMP)
	$(BIN)/snakemake -n --rulegraph

clean:
	rm -rf results logs benchmarks .snakemake
