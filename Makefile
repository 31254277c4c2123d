# NMF Studio — the two commands of the README, plus benchmarks and screenshots.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed

.PHONY: run test bench screenshots memory clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(RUNTIME_STAMP)

## make run: install the runtime dependencies into .venv and serve the app
run: $(RUNTIME_STAMP)
	$(BIN)/streamlit run streamlit_app.py

## make test: install the test dependencies into .venv and run every test
test: $(DEV_STAMP)
	$(BIN)/python -m pytest

## make bench: solver and page benchmarks (peers side by side, ratios)
bench: $(DEV_STAMP)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python bench/bench_factorize.py
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python bench/bench_spikes.py
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python bench/bench_app.py

## make screenshots: refresh docs/*.png from the browser tests (needs Chromium)
screenshots: $(DEV_STAMP)
	NNMF_SCREENSHOT_DIR=docs $(BIN)/python -m pytest tests/browser -q -k screenshots

## make memory: server memory under 50 distinct uploads (real server, Chromium)
memory: $(DEV_STAMP)
	$(BIN)/python bench/bench_memory.py

clean:
	rm -rf $(VENV) .pytest_cache
