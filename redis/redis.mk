# Redis: the scripts of redis/scripts/ against a real redis-server. Included by the Makefile.
#
# Every Redis test binary starts a server of its own on a free loopback port, in a temporary
# directory, without persistence, and stops it when it exits (see
# crates/ratecell-redis/tests/common/mod.rs); the tests never touch another address.

REDIS_SERVER ?= redis-server

.PHONY: test-redis redis-server-installed

# `make test` runs these too.
test: test-redis

redis-server-installed: ## Install redis-server from the Debian packages when it is missing
	@command -v $(REDIS_SERVER) >/dev/null 2>&1 || { \
		echo "redis-server is missing: installing it (apt-get install redis-server)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO=sudo; else \
			echo "cannot install redis-server without root: apt-get install redis-server"; exit 1; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq redis-server; }
	@$(REDIS_SERVER) --version

test-redis: redis-server-installed ## Redis: vectors, differential, fault and load tests, sync and async, on a real server
	RATECELL_REDIS_REQUIRED=1 RATECELL_REDIS_SERVER=$$(command -v $(REDIS_SERVER)) \
		$(CARGO) test -p ratecell-redis --all-features
