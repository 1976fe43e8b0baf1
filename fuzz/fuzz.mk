# Fuzzing (cargo-fuzz, libFuzzer) and Miri. Included by the Makefile.
#
# Both need a nightly toolchain: the targets below install it (and the pinned cargo-fuzz,
# into .tools/) when it is missing. `make test` needs neither: it replays the committed
# corpora and crash reproducers on stable (tests/tests/fuzz_corpus.rs, part of test-rust).

NIGHTLY ?= nightly
CARGO_FUZZ_VERSION := 0.13.2
CARGO_FUZZ := $(TOOLS)/bin/cargo-fuzz

# Seconds each target runs in `make fuzz`; FUZZ_TARGETS narrows the run to some targets.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(sort $(basename $(notdir $(wildcard fuzz/fuzz_targets/*.rs))))
FUZZ_LOGS := build/fuzz
# Run cargo-fuzz directly (not through `cargo fuzz`, which would prefer any other
# cargo-fuzz on the machine) with the nightly toolchain.
FUZZ := RUSTUP_TOOLCHAIN=$(NIGHTLY) $(CARGO_FUZZ) fuzz
# Optimized, with debug assertions: an arithmetic overflow in the core or in a reference
# model is a finding too.
FUZZ_FLAGS := -O -a

# Miri: the core's and the C binding's unit and doc tests, then the C ABI fuzz target's
# corpus and reproducers (tests/tests/fuzz_corpus.rs under cfg(miri)), which drive the
# binding's unsafe code with NULLs, stale handles and bad enum values. The replay reads the
# corpus files, hence -Zmiri-disable-isolation for it alone.
MIRI_PACKAGES ?= -p ratecell -p ratecell-c
MIRIFLAGS ?=

.PHONY: nightly fuzz fuzz-build fuzz-cmin fuzz-replay miri

nightly: ## Install the nightly toolchain with rust-src and Miri, when missing
	@rustup run $(NIGHTLY) rustc --version >/dev/null 2>&1 || \
		rustup toolchain install $(NIGHTLY) --profile minimal
	@rustup component list --installed --toolchain $(NIGHTLY) | grep -q '^miri' || \
		rustup component add miri rust-src --toolchain $(NIGHTLY)

$(CARGO_FUZZ):
	$(CARGO) install cargo-fuzz --version $(CARGO_FUZZ_VERSION) --locked --root $(TOOLS)

fuzz-build: nightly $(CARGO_FUZZ) ## Build every fuzz target (nightly, optimized, debug assertions, AddressSanitizer)
	$(FUZZ) build $(FUZZ_FLAGS)

fuzz: fuzz-build ## Fuzz every target for FUZZ_SECONDS (default 60) each, one after the other
	mkdir -p $(FUZZ_LOGS)
	set -e; for t in $(FUZZ_TARGETS); do \
		echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
		seeds=; [ -d fuzz/regressions/$$t ] && seeds=fuzz/regressions/$$t; \
		$(FUZZ) run $(FUZZ_FLAGS) $$t fuzz/corpus/$$t $$seeds -- \
			-max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 > $(FUZZ_LOGS)/$$t.log 2>&1 || \
			{ tail -n 60 $(FUZZ_LOGS)/$$t.log; echo "fuzz: $$t failed, see $(FUZZ_LOGS)/$$t.log"; exit 1; }; \
		grep -E '^#[0-9]+[[:space:]]+DONE' $(FUZZ_LOGS)/$$t.log | tail -n 1; \
	done
	@echo "fuzz: no finding; 'make fuzz-cmin' before committing grown corpora"

fuzz-cmin: fuzz-build ## Minimize every corpus: the fewest inputs that keep all its coverage features
	set -e; for t in $(FUZZ_TARGETS); do \
		$(FUZZ) cmin $(FUZZ_FLAGS) $$t fuzz/corpus/$$t -- -set_cover_merge=1; \
	done

fuzz-replay: ## Replay the committed corpora and crash reproducers on stable (part of test-rust)
	$(CARGO) test -p ratecell-reference --test fuzz_corpus

miri: nightly ## Run the core's and the C binding's Rust tests, the Node binding's key type and the C ABI fuzz corpus, under Miri
	MIRIFLAGS="$(MIRIFLAGS)" $(CARGO) +$(NIGHTLY) miri test $(MIRI_PACKAGES)
	# The Node binding's stored key: a transparent wrapper of UTF-16 units, cast in place.
	MIRIFLAGS="$(MIRIFLAGS)" $(CARGO) +$(NIGHTLY) miri test -p ratecell-node --lib key::
	MIRIFLAGS="-Zmiri-disable-isolation $(MIRIFLAGS)" \
		$(CARGO) +$(NIGHTLY) miri test -p ratecell-reference --test fuzz_corpus
