"""Shared test fixtures, and how `nox -s ci` spreads the suite over two pytest-xdist workers (`-n 2 --dist
sharedfixtures`; `-n 0` runs it in one process)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

SHARED_FIXTURE = re.compile(r"""@pytest\.fixture\(\s*scope\s*=\s*["'](?:module|class|package)["']""")
"""A fixture set up once for many tests of its module (a browser, a generated package, a server)."""


@pytest.fixture
def root() -> Path:
    return ROOT


@cache
def shares_a_fixture(path: str) -> bool:
    """Whether the test module at `path` (relative to the root) defines a module-, class- or package-scoped
    fixture. Read as text: the xdist controller schedules by test id and imports no test module."""
    try:
        return bool(SHARED_FIXTURE.search((ROOT / path).read_text(encoding="utf-8")))
    except OSError:
        return False


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("xdist")
    group.addoption(
        "--shared-fixtures-together",
        action="store_true",
        help="with -n: the tests of a module that defines a module-scoped fixture run on one worker (the fixture "
        "is set up once); every other test goes, on its own, to whichever worker is free",
    )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """One work unit per module with a shared fixture, one per test otherwise. (xdist's own `--dist loadgroup`
    cannot be used for this: it marks a group by rewriting the test id, which pytest 9.2 no longer lets it do.)"""
    if not config.getoption("shared_fixtures_together"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if shares_a_fixture(path) else nodeid

    return SharedFixtureScheduling(config, log)


pytest_plugins = ["retently_oauth.pytest_plugin"]
