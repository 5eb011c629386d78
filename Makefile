# The README's two commands: `make run` and `make test`. Everything installs into .venv/.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export OMP_WAIT_POLICY := PASSIVE

.PHONY: setup system-deps run ingest test test-fast lint eval eval-quick eval-cmrc eval-bootstrap bench bench-full serve clean

$(STAMP): requirements.txt requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -c requirements.lock
	touch $(STAMP)

setup: $(STAMP)

# Debian chromium + a Chinese font for the browser tests (see .ci/system-deps.sh).
system-deps:
	bash .ci/system-deps.sh

ingest: setup
	$(PY) -m assistant ingest

run: setup ingest
	$(PY) app.py

serve: setup ingest
	$(PY) -m assistant.http

test: setup system-deps
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not browser and not slow"

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy assistant evals app.py  # assistant/ strictly (see [tool.mypy] in pyproject.toml)

eval: setup ingest
	$(PY) -m evals.run

eval-quick: setup ingest
	$(PY) -m evals.run --quick --check-thresholds

# The outside benchmark: 200 CMRC 2018 passages from ../shared/benchmarks (index cached in ~/.cache/policyqa/cmrc).
eval-cmrc: setup
	$(PY) -m evals.cmrc --passages 200 --seed 0

# Bootstrap bounds of the test split (from evals/reports/latest/) behind the floors in evals/thresholds.toml.
eval-bootstrap: setup
	$(PY) -m evals.bootstrap

# ×1, ×10, ×100 (about 15 minutes on 2 cores); bench-full adds ×1000 (400,000 chunks: about 75 minutes).
bench: setup
	$(PY) -m bench.run

bench-full: setup
	$(PY) -m bench.run --scales 1,10,100,1000 --budget-minutes 120

clean:
	rm -rf .index tests/artifacts .pytest_cache .mypy_cache .ruff_cache
