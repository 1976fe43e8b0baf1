"""Shared fixtures: a manual clock, and the paths of the repository's shared files."""

from __future__ import annotations

from pathlib import Path

import pytest

import ratecell

ROOT = Path(__file__).resolve().parents[3]
"""The repository root (bindings/python/tests -> root)."""


@pytest.fixture
def clock() -> ratecell.ManualClock:
    return ratecell.ManualClock()
