# ratecell: `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

CARGO ?= cargo
NO_STD_TARGETS := thumbv7em-none-eabihf thumbv6m-none-eabi

.PHONY: help demo test bench fmt-check clippy test-rust no-std bench-build

help: ## Show the targets and what they do
	@echo "ratecell make targets:"
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

demo: ## Run the main job: published API tiers enforced, printing every decision
	$(CARGO) run -q --release -p ratecell --example free_tier

test: fmt-check clippy test-rust no-std bench-build ## Run every test (formatting, lints, unit, property and doc tests, no_std builds)
	@echo "make test: all checks passed"

fmt-check: ## Check formatting
	$(CARGO) fmt --all -- --check

clippy: ## Lint everything, warnings are errors
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust: ## Rust unit, property and doc tests
	$(CARGO) test --workspace

no-std: ## Build the core for two embedded targets without std
	rustup target add $(NO_STD_TARGETS)
	for t in $(NO_STD_TARGETS); do $(CARGO) build -p ratecell --no-default-features --target $$t; done

bench-build: ## Check that the benchmarks build
	$(CARGO) bench --workspace --no-run

bench: ## Run the benchmarks (criterion)
	$(CARGO) bench --workspace
