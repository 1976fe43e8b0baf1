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
	@$(call apt_install,$(REDIS_SERVER),redis-server)
	@$(REDIS_SERVER) --version

test-redis: redis-server-installed ## Redis: vectors, differential, fault and load tests, sync and async, on a real server
	RATECELL_REDIS_REQUIRED=1 RATECELL_REDIS_SERVER=$$(command -v $(REDIS_SERVER)) \
		$(CARGO) test -p ratecell-redis --all-features
