# Benchmarks (benches/), included by the root Makefile. `make bench` runs every one of them
# and writes target/bench-results/report.md: ns per operation and ratios against each peer.
# BENCHMARKS.md explains how to read it.

BENCH_RESULTS := $(CURDIR)/target/bench-results
# A short criterion profile: the machine is shared, and what counts are the ratios between
# libraries measured in the same run. `make bench BENCH_ARGS=` uses criterion's defaults.
BENCH_ARGS ?= --warm-up-time 1 --measurement-time 2

.PHONY: bench-rust bench-c bench-python bench-node bench-report

# The criterion benchmarks; c_api is the Rust half of `make c-bench` and runs there.
RUST_BENCHES := $(filter-out c_api,$(basename $(notdir $(wildcard benches/*.rs))))

bench-rust: ## Criterion benchmarks: ratecell next to governor, primitives, clocks, memory per key
	mkdir -p $(BENCH_RESULTS)
	$(CARGO) bench -p ratecell-benches $(addprefix --bench ,$(RUST_BENCHES)) -- $(BENCH_ARGS)

bench-c: ## The C API next to the Rust core (make c-bench)
	mkdir -p $(BENCH_RESULTS)
	$(MAKE) --no-print-directory c-bench | tee $(BENCH_RESULTS)/c.txt

bench-python: ## The Python comparisons in benches/python (make py-bench)
	mkdir -p $(BENCH_RESULTS)
	$(MAKE) --no-print-directory py-bench | tee $(BENCH_RESULTS)/python.txt

bench-node: ## The Node comparisons in benches/node (make node-bench)
	mkdir -p $(BENCH_RESULTS)
	$(MAKE) --no-print-directory node-bench | tee $(BENCH_RESULTS)/node.txt

bench-report: ## Write target/bench-results/report.md from the last run's results
	python3 benches/report.py --since $(BENCH_RESULTS)/.started
