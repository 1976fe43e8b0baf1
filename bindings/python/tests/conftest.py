"""Shared fixtures: a manual clock, the paths of the repository's shared files, and a
redis-server of the tests' own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from redis_server import Server, binary, required

import ratecell

ROOT = Path(__file__).resolve().parents[3]
"""The repository root (bindings/python/tests -> root)."""


@pytest.fixture
def clock() -> ratecell.ManualClock:
    return ratecell.ManualClock()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Server]:
    """The session's own redis-server (see redis_server.py), or a skip."""
    path = binary()
    if path is None:
        if required():
            pytest.fail("redis-server is not installed, and CI (or RATECELL_REDIS_REQUIRED) requires it: apt-get install redis-server")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = Server(path)
    yield server
    server.close()
