# The Node module (bindings/node), included by the root Makefile.
# `npm ci` installs the pinned tools (@napi-rs/cli, typescript, the frameworks and the
# benchmark's peer) from package-lock.json into bindings/node/node_modules; the napi CLI
# builds the addon from source and regenerates index.js and index.d.ts, which are committed.
# The Redis tests start a redis-server of their own (redis/redis.mk installs it when missing).

NPM ?= npm
NODE ?= node
NODE_DIR := bindings/node
NODE_READY := $(NODE_DIR)/node_modules/.ratecell-installed

.PHONY: node-deps node-build node-test node-types node-demo node-bench

$(NODE_READY): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && $(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

node-deps: $(NODE_READY) ## Node: install the pinned tools with npm ci

node-build: $(NODE_READY) ## Node: build the addon (release) with the pinned napi CLI; fail when index.js or index.d.ts drift
	cd $(NODE_DIR) && $(NPM) run --silent build
	@git diff --quiet -- $(NODE_DIR)/index.js $(NODE_DIR)/index.d.ts 2>/dev/null || \
		{ git diff --stat -- $(NODE_DIR)/index.js $(NODE_DIR)/index.d.ts; \
		  echo "index.js/index.d.ts changed: commit the generated files"; exit 1; }

node-test: node-build node-types redis-server-installed ## Node: node --test (every primitive, errors, vectors, middlewares, Redis on a real server) and the CJS/ESM entry points
	cd $(NODE_DIR) && RATECELL_REDIS_REQUIRED=1 RATECELL_REDIS_SERVER=$$(command -v $(REDIS_SERVER)) \
		RATECELL_PYTHON=$(CURDIR)/bindings/python/.venv/bin/python \
		$(NODE) --test --test-reporter=dot test/
	cd /tmp && $(NODE) -e 'const r = require("$(CURDIR)/$(NODE_DIR)"); if (r.Gcra.parse("5/second").check().remaining !== 4) process.exit(1)'
	cd /tmp && $(NODE) --input-type=module -e 'import { Gcra } from "$(CURDIR)/$(NODE_DIR)/lib/ratecell.mjs"; if (Gcra.parse("5/second").check().remaining !== 4) process.exit(1)'

node-types: $(NODE_READY) ## Node: tsc --strict over the typed tests and examples
	cd $(NODE_DIR) && ./node_modules/.bin/tsc -p tsconfig.json

node-demo: node-build ## Node: enforce the published tiers, printing decisions and headers
	$(NODE) $(NODE_DIR)/examples/tiers.js

node-bench: node-build redis-server-installed ## Node: ns per check against rate-limiter-flexible (one key, 10,000 keys), and decisions per second through Redis, with ratios
	$(NODE) benches/node/bench.js
	RATECELL_REDIS_SERVER=$$(command -v $(REDIS_SERVER)) $(NODE) benches/node/redis_bench.js
