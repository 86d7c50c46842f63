# The two commands of the README: `make run` (main job) and `make test` (whole test suite).
# Both create .venv (Python >= 3.12) on first use.
PY := .venv/bin/python

.PHONY: run test setup lint bench

setup:
	bash scripts/bootstrap.sh --system

run: setup
	$(PY) -m simulation run

test: setup
	$(PY) -m pytest -q --durations=12

lint: setup
	.venv/bin/ruff check simulation tests benchmarks

bench: setup
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done
