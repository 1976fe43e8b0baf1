# The Python module (bindings/python), included by the root Makefile.
# A virtual environment under bindings/python/.venv holds the pinned tools
# (requirements-dev.txt); `make py-test` builds the module into it and runs pytest and mypy.

PYTHON ?= python3
PY_DIR := bindings/python
PY_VENV := $(CURDIR)/$(PY_DIR)/.venv
PY := $(PY_VENV)/bin/python
PY_READY := $(PY_VENV)/.requirements-installed
PY_FRESH := $(CURDIR)/build/py-fresh

.PHONY: py-venv py-build py-test py-mypy py-install-test py-demo py-bench

$(PY_READY): $(PY_DIR)/requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(PY_VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r $(PY_DIR)/requirements-dev.txt
	touch $@

py-venv: $(PY_READY) ## Python: create bindings/python/.venv with the pinned tools

py-build: $(PY_READY) ## Python: build the module (release) and install it into the venv
	cd $(PY_DIR) && VIRTUAL_ENV=$(PY_VENV) $(PY_VENV)/bin/maturin develop --release -q

py-test: py-build py-install-test py-mypy ## Python: pytest (tests, README examples, shared vectors), mypy --strict and stubtest
	cd $(PY_DIR) && $(PY) -m pytest -q -p no:cacheprovider

py-mypy: py-build ## Python: mypy --strict on the package, tests, examples and benchmark; stubtest checks the stubs against the module
	cd $(PY_DIR) && $(PY) -m mypy --strict --cache-dir $(PY_VENV)/.mypy_cache
	cd $(PY_DIR) && $(PY) -m mypy.stubtest ratecell --allowlist stubtest-allowlist.txt --mypy-config-file pyproject.toml

py-install-test: $(PY_READY) ## Python: `pip install ./bindings/python` into a fresh venv, then import it
	rm -rf $(PY_FRESH)
	$(PYTHON) -m venv $(PY_FRESH)
	$(PY_FRESH)/bin/python -m pip install -q --disable-pip-version-check ./$(PY_DIR)
	cd /tmp && $(PY_FRESH)/bin/python -c 'import ratecell; d = ratecell.Gcra.parse("5/second").check(); assert d and d.remaining == 4, d; print("py-install-test:", ratecell.__version__, d)'

py-demo: py-build ## Python: enforce the published tiers, printing decisions and headers
	$(PY) $(PY_DIR)/examples/tiers.py

py-bench: py-build ## Python: ns per check against the limits package, with ratios
	$(PY) benches/python/bench_limits.py
