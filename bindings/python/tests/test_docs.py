"""The examples in the documentation run: the README and the modules' docstrings."""

from __future__ import annotations

import doctest
from pathlib import Path
from types import ModuleType

import pytest

import ratecell
import ratecell.asgi
import ratecell.web
import ratecell.wsgi

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_examples_run() -> None:
    failed, attempted = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert attempted > 20 and failed == 0


@pytest.mark.parametrize("module", [ratecell, ratecell.web, ratecell.asgi, ratecell.wsgi], ids=lambda m: m.__name__)
def test_the_module_examples_run(module: ModuleType) -> None:
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failed == 0
