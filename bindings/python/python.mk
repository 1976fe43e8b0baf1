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

# The ratecell.redis tests start redis-servers of their own on free loopback ports (see
# tests/redis_server.py); redis/redis.mk installs the binary when it is missing.
py-test: py-build py-install-test py-mypy redis-server-installed ## Python: pytest (tests, README examples, shared vectors, ratecell.redis on a real server), mypy --strict and stubtest
	cd $(PY_DIR) && RATECELL_REDIS_REQUIRED=1 RATECELL_REDIS_SERVER=$$(command -v $(REDIS_SERVER)) \
		$(PY) -m pytest -q -p no:cacheprovider

py-mypy: py-build ## Python: mypy --strict on the package, tests, examples and benchmark; stubtest checks the stubs against the module
	cd $(PY_DIR) && $(PY) -m mypy --strict --cache-dir $(PY_VENV)/.mypy_cache
	cd $(PY_DIR) && $(PY) -m mypy.stubtest ratecell --allowlist stubtest-allowlist.txt --mypy-config-file pyproject.toml

py-install-test: $(PY_READY) ## Python: `pip install ./bindings/python` into a fresh venv, then import it
	rm -rf $(PY_FRESH)
	$(PYTHON) -m venv $(PY_FRESH)
	$(PY_FRESH)/bin/python -m pip install -q --disable-pip-version-check "./$(PY_DIR)[redis]"
	cd /tmp && $(PY_FRESH)/bin/python -c 'import sys, ratecell; d = ratecell.Gcra.parse("5/second").check(); assert d and d.remaining == 4, d; assert "redis" not in sys.modules; print("py-install-test:", ratecell.__version__, d)'
	cd /tmp && $(PY_FRESH)/bin/python -c 'import ratecell.redis.asyncio as r, ratecell.redis._target as t; assert set(t.SCRIPTS) >= {"gcra", "all_of", "concurrency"}; print("py-install-test: ratecell.redis embeds", len(t.SCRIPTS), "scripts")'

py-demo: py-build ## Python: enforce the published tiers, printing decisions and headers
	$(PY) $(PY_DIR)/examples/tiers.py

py-bench: py-build redis-server-installed ## Python: ns per check against the limits package (in process and through Redis), with ratios
	$(PY) benches/python/bench_limits.py
	RATECELL_REDIS_SERVER=$$(command -v $(REDIS_SERVER)) $(PY) benches/python/bench_redis.py
