# ircc: `make demo` and `make test` work on a fresh clone with nothing installed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: demo test test-full bench-symbolic bench-pyjit bench-spgemm bench-graph bench-eqsat bench-torch docs lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch first: pip takes torch==2.13.0 from this machine's local CPU build (the extra only says >=2.4).
$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e .
	touch $@

$(DEV_STAMP): $(STAMP) pyproject.toml
	$(PIP) install --quiet -e '.[dev,torch,triton]'
	touch $@

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(PIP) install --quiet -e '.[dev,torch,triton,bench]'
	touch $@

demo: $(BENCH_STAMP)
	$(PY) examples/demo.py

test: $(DEV_STAMP)
	$(PY) -m pytest -q --durations=15 -n 2

test-full: $(DEV_STAMP)
	$(PY) -m pytest -q --durations=15 -n 2 -m "slow or not slow"

bench-symbolic: $(BENCH_STAMP)
	$(PY) benchmarks/symbolic.py

bench-pyjit: $(BENCH_STAMP)
	$(PY) benchmarks/pyjit.py

bench-spgemm: $(BENCH_STAMP)
	$(PY) benchmarks/spgemm.py

bench-graph: $(BENCH_STAMP)
	$(PY) benchmarks/graph.py

bench-eqsat: $(BENCH_STAMP)
	$(PY) benchmarks/eqsat.py

bench-torch: $(BENCH_STAMP)
	$(PY) benchmarks/torch_models.py

docs: $(STAMP)
	$(PY) -m ircc.docgen docs

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check ircc tests benchmarks examples

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
