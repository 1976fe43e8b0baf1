# ratecell: `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

CARGO ?= cargo
CC ?= cc
NO_STD_TARGETS := thumbv7em-none-eabihf thumbv6m-none-eabi
PREFIX ?= /usr/local

include benches/bench.mk

# Installs the Debian package $(2) when the command $(1) is missing: as root, or through sudo
# when it needs no password; otherwise says what to install and fails.
define apt_install
command -v $(1) >/dev/null 2>&1 || { \
	echo "$(1) is missing: installing it (apt-get install $(2))"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO=sudo; else \
		echo "cannot install $(1) without root: apt-get install $(2)"; exit 1; fi; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $(2); }
endef

# Pinned tools, installed into .tools/ on first use.
TOOLS := $(CURDIR)/.tools
CBINDGEN_VERSION := 0.29.4
CBINDGEN := $(TOOLS)/bin/cbindgen

# The C library and its tests.
C_DIR := bindings/c
C_OUT := build/c
C_LIB := $(C_OUT)/lib
C_TESTS := $(patsubst $(C_DIR)/tests/%.c,%,$(wildcard $(C_DIR)/tests/test_*.c))
C_WARN := -Wall -Wextra -Werror -std=c11
C_FLAGS := $(C_WARN) -I$(C_DIR)/include
C_STATIC_DEPS := -lpthread -ldl -lm

# Cross-language link-time optimisation: libratecell.a as LLVM bitcode, linked by rustc's own
# lld, so that the optimiser sees C and Rust as one program and can inline ratecell's functions
# into a C caller's loop. The C compiler must be a clang whose LLVM is not newer than rustc's
# (`rustc -vV`): the linker reads older bitcode, never newer. The two -mllvm options let the
# link import and inline a whole check (a GCRA check costs about 335 to LLVM's inliner, whose
# threshold at -O2 is 225).
LTO_CC ?= clang-19
LTO_CC_PACKAGE ?= clang-19
RUST_HOST = $(shell rustc -vV | sed -n 's/^host: //p')
RUST_LLD = $(shell rustc --print sysroot)/lib/rustlib/$(RUST_HOST)/bin/gcc-ld/ld.lld
C_LTO_LIB := $(C_OUT)/lto
C_LTO_CFLAGS = --target=$(RUST_HOST) -O2 -flto=thin $(C_FLAGS)
# What a program links after its own sources: the bitcode library, rustc's lld, the options.
C_LTO_LINK = $(C_LTO_LIB)/libratecell.a -fuse-ld=lld --ld-path=$(RUST_LLD) \
	-Wl,-mllvm,-import-instr-limit=400 -Wl,-mllvm,-inline-threshold=400 $(C_STATIC_DEPS)

include bindings/python/python.mk
include bindings/node/node.mk

.PHONY: help demo test bench fmt-check clippy test-rust no-std bench-build vectors-bless \
	c-lib c-header c-header-update c-test c-asan c-valgrind c-demo c-install-test c-bench c-bench-build install \
	c-lto-cc c-lto-lib c-lto-test

help: ## Show the targets and what they do
	@echo "ratecell make targets:"
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

demo: ## Run the main job: published API tiers enforced in every language, printing decisions
	@echo "== Rust: the Free tier, every decision"
	$(CARGO) run -q --release -p ratecell --example free_tier
	@echo "== Rust: burst tiers, plan + endpoint limits, WebSocket messages and bytes"
	$(CARGO) run -q --release -p ratecell --example tiers
	@echo "== C"
	$(MAKE) --no-print-directory c-demo
	@echo "== Python"
	$(MAKE) --no-print-directory py-demo
	@echo "== Node"
	$(MAKE) --no-print-directory node-demo

test: fmt-check clippy test-rust no-std c-header c-test c-asan c-valgrind c-lto-test c-install-test py-test node-test bench-build c-bench-build ## Run every test (formatting, lints, unit, property and doc tests, no_std builds)
	@echo "make test: all checks passed"

fmt-check: ## Check formatting
	$(CARGO) fmt --all -- --check

clippy: ## Lint everything, warnings are errors
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	# The Python module as a wheel built with CPython 3.9 compiles it (the 3.9 stable ABI).
	$(CARGO) clippy -p ratecell-python --features pyo3/abi3-py39 -- -D warnings
	# ... and as built for a free-threaded CPython (no GIL), in a target directory of its own.
	PYO3_CONFIG_FILE=$(CURDIR)/bindings/python/build-config/free-threaded-3.14.txt \
		CARGO_TARGET_DIR=$(CURDIR)/target/free-threaded $(CARGO) clippy -p ratecell-python -- -D warnings

test-rust: ## Rust unit, property and doc tests
	$(CARGO) test --workspace

no-std: ## Build the core for two embedded targets without std
	rustup target add $(NO_STD_TARGETS)
	set -e; for t in $(NO_STD_TARGETS); do RUSTFLAGS="-D warnings" $(CARGO) build -p ratecell --no-default-features --target $$t; done

bench-build: ## Check that the benchmarks build
	$(CARGO) bench --workspace --no-run

vectors-bless: ## Fill in the expectations of tests/vectors/*.json from the reference models
	RATECELL_BLESS=1 $(CARGO) test -q -p ratecell-reference --test vectors

bench: ## Run every benchmark (Rust, C, Python, Node) and write target/bench-results/report.md
	mkdir -p $(BENCH_RESULTS)
	touch $(BENCH_RESULTS)/.started
	$(MAKE) --no-print-directory bench-rust bench-c bench-python bench-node
	$(MAKE) --no-print-directory bench-report

$(CBINDGEN):
	$(CARGO) install cbindgen --version $(CBINDGEN_VERSION) --locked --root $(TOOLS)

c-lib: ## Build libratecell.a and libratecell.so into build/c/lib
	$(CARGO) build --release -p ratecell-c
	mkdir -p $(C_LIB)
	cp target/release/libratecell_c.a $(C_LIB)/libratecell.a
	cp target/release/libratecell_c.so $(C_LIB)/libratecell.so

c-header: $(CBINDGEN) ## Check that the committed C header matches the Rust sources
	mkdir -p $(C_OUT)
	$(CBINDGEN) --quiet --config $(C_DIR)/cbindgen.toml --crate ratecell-c --output $(C_OUT)/ratecell.h $(C_DIR)
	@diff -u $(C_DIR)/include/ratecell.h $(C_OUT)/ratecell.h || \
		{ echo "ratecell.h is stale: run 'make c-header-update' and commit it"; exit 1; }

c-header-update: $(CBINDGEN) ## Regenerate bindings/c/include/ratecell.h
	$(CBINDGEN) --quiet --config $(C_DIR)/cbindgen.toml --crate ratecell-c --output $(C_DIR)/include/ratecell.h $(C_DIR)

c-test: c-lib ## Compile the C tests with -Wall -Wextra -Werror -std=c11 and run them (shared and static)
	mkdir -p $(C_OUT)/bin
	set -e; for t in $(C_TESTS); do \
		$(CC) $(C_FLAGS) -o $(C_OUT)/bin/$$t $(C_DIR)/tests/$$t.c -L$(C_LIB) -lratecell -Wl,-rpath,$(CURDIR)/$(C_LIB); \
		$(C_OUT)/bin/$$t; \
		$(CC) $(C_FLAGS) -o $(C_OUT)/bin/$$t-static $(C_DIR)/tests/$$t.c $(C_LIB)/libratecell.a $(C_STATIC_DEPS); \
		$(C_OUT)/bin/$$t-static; \
	done

c-asan: c-lib ## Run the C tests under AddressSanitizer and UndefinedBehaviorSanitizer
	mkdir -p $(C_OUT)/bin
	set -e; for t in $(C_TESTS); do \
		$(CC) $(C_FLAGS) -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
			-o $(C_OUT)/bin/$$t-asan $(C_DIR)/tests/$$t.c $(C_LIB)/libratecell.a $(C_STATIC_DEPS); \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			$(C_OUT)/bin/$$t-asan; \
	done

c-valgrind: c-test ## Run the C tests under valgrind (zero errors, no leaks)
	set -e; for t in $(C_TESTS); do \
		valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
			$(C_OUT)/bin/$$t; \
	done

c-lto-cc: ## Install the clang that cross-language LTO links with from the Debian packages when it is missing
	@$(call apt_install,$(LTO_CC),$(LTO_CC_PACKAGE))
	@$(LTO_CC) --version | head -n 1

c-lto-lib: ## Build libratecell.a as LLVM bitcode for cross-language LTO into build/c/lto
	RUSTFLAGS="-Clinker-plugin-lto" $(CARGO) build --release -p ratecell-c --target-dir target/lto
	mkdir -p $(C_LTO_LIB)
	cp target/lto/release/libratecell_c.a $(C_LTO_LIB)/libratecell.a

c-lto-test: c-lto-cc c-lto-lib ## Run the C tests linked with cross-language LTO (ratecell inlined into C, LTO_CC=clang-19)
	mkdir -p $(C_OUT)/bin
	set -e; for t in $(C_TESTS); do \
		$(LTO_CC) $(C_LTO_CFLAGS) -o $(C_OUT)/bin/$$t-lto $(C_DIR)/tests/$$t.c $(C_LTO_LINK); \
		$(C_OUT)/bin/$$t-lto; \
	done

c-demo: c-lib ## Run the C example
	mkdir -p $(C_OUT)/bin
	$(CC) $(C_FLAGS) -o $(C_OUT)/bin/example $(C_DIR)/example.c -L$(C_LIB) -lratecell -Wl,-rpath,$(CURDIR)/$(C_LIB)
	$(C_OUT)/bin/example

c-bench-build: c-lib c-lto-cc c-lto-lib ## Check that the C benchmark compiles and links, also with cross-language LTO (times nothing)
	mkdir -p $(C_OUT)/bin
	$(CC) -O2 $(C_FLAGS) -o $(C_OUT)/bin/bench benches/c/bench.c -L$(C_LIB) -lratecell -Wl,-rpath,$(CURDIR)/$(C_LIB)
	$(LTO_CC) $(C_LTO_CFLAGS) -o $(C_OUT)/bin/bench-lto benches/c/bench.c $(C_LTO_LINK)

c-bench: c-bench-build ## Per-call cost of the C API next to the Rust core on the same workloads, with the ratio
	rust="$$($(CARGO) bench -q -p ratecell-benches --bench c_api -- --raw)" && \
		$(C_OUT)/bin/bench $$rust && \
		echo "linked with cross-language LTO ($(LTO_CC), rust-lld; see the Makefile):" && \
		$(C_OUT)/bin/bench-lto $$rust

install: c-lib ## Install libratecell, ratecell.h and ratecell.pc under PREFIX (default /usr/local)
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 644 $(C_LIB)/libratecell.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(C_LIB)/libratecell.so $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(C_DIR)/include/ratecell.h $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)|g' \
		$(C_DIR)/ratecell.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/ratecell.pc

c-install-test: ## Install into build/prefix and build the C example with pkg-config, as the README shows
	rm -rf $(CURDIR)/build/prefix
	$(MAKE) --no-print-directory install PREFIX=$(CURDIR)/build/prefix
	PKG_CONFIG_PATH=$(CURDIR)/build/prefix/lib/pkgconfig $(CC) $(C_WARN) -o $(C_OUT)/bin/example-installed \
		$(C_DIR)/example.c $$(PKG_CONFIG_PATH=$(CURDIR)/build/prefix/lib/pkgconfig pkg-config --cflags --libs ratecell) \
		-Wl,-rpath,$(CURDIR)/build/prefix/lib
	$(C_OUT)/bin/example-installed > /dev/null
	@echo "c-install-test: the installed library, header and ratecell.pc work"

# Redis (test-redis, part of test).
include redis/redis.mk

# Fuzzing and Miri (fuzz, fuzz-cmin, fuzz-replay, miri; not part of test).
include fuzz/fuzz.mk
