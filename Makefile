# One entry point for developers and CI: `make check`.
PY ?= python

.PHONY: check lint format typecheck test bench train

check: lint typecheck test

lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format:
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

typecheck:
	$(PY) -m mypy

test:
	$(PY) -m pytest

bench:
	$(PY) benchmarks/accuracy.py
	$(PY) benchmarks/throughput.py --quick
	$(PY) benchmarks/pipeline_review.py --quick
	$(PY) benchmarks/import_100k.py --quick

# The evidence model: retrain from training/corpus (fixed seed) and check the corpus first.
train:
	$(PY) -m kamcoach.analysis.corpus check
	$(PY) -m kamcoach.analysis.train
