# NMF Studio — the two commands of the README, plus lint, fast tests,
# benchmarks and screenshots.
PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
# make run ADDRESS=0.0.0.0 (or NNMF_ADDRESS=0.0.0.0 make run) opens the app to the network.
ADDRESS ?= $(or $(NNMF_ADDRESS),127.0.0.1)
PORT    ?= 8501
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed
# Benchmarks read the BLAS kernel the machine would pick by itself.
BENCH := env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python -m

.PHONY: run test test-fast lint bench bench-heavy screenshots memory clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@ $(RUNTIME_STAMP)

## make run: install the runtime dependencies into .venv and serve the app on http://127.0.0.1:8501
run: $(RUNTIME_STAMP)
	$(BIN)/streamlit run streamlit_app.py --server.address $(ADDRESS) --server.port $(PORT)

## make test: install the test dependencies into .venv, lint, run every test (browser tests included)
test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

## make test-fast: lint and every test but the browser tests
test-fast: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest --ignore=tests/browser

## make lint: ruff (rules and settings in pyproject.toml)
lint: $(DEV_STAMP)
	$(BIN)/ruff check .

## make bench: solver, spike, unit, learning and page benchmarks (peers side by side, ratios)
bench: $(DEV_STAMP)
	$(BENCH) bench.bench_factorize
	$(BENCH) bench.bench_spikes
	$(BENCH) bench.bench_units
	$(BENCH) bench.bench_learning --quick
	$(BENCH) bench.bench_app

## make bench-heavy: realistic spike recordings, data at scale (Dask), real browsers (tens of minutes)
bench-heavy: $(DEV_STAMP)
	$(BENCH) bench.bench_spikes_realistic
	$(BENCH) bench.bench_spikes_realistic --seed-offset 1
	$(BENCH) bench.bench_quality_filter
	$(BENCH) bench.bench_pair_check
	$(BENCH) bench.bench_spikes_spikeinterface_defaults
	$(BENCH) bench.bench_scale
	$(BENCH) bench.bench_browser
	$(BIN)/python -m bench.bench_classroom

## make screenshots: refresh docs/*.png from the browser tests (needs Chromium)
screenshots: $(DEV_STAMP)
	NNMF_SCREENSHOT_DIR=docs $(BIN)/python -m pytest tests/browser -q -k screenshots

## make memory: server memory under 50 distinct uploads (real server, Chromium)
memory: $(DEV_STAMP)
	$(BIN)/python -m bench.bench_memory

clean:
	rm -rf $(VENV) .pytest_cache
