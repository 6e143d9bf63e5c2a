"""Shared test fixtures, and how `nox -s ci` spreads the suite over two pytest-xdist workers (`-n 2
--keep-modules-together`; `-n 0` runs it in one process)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# No timing assertions: hypothesis's per-example deadline and its "input generation is slow" check are timings, which
# fail on a loaded 2-core CI machine (a 1.5 s garbage-collection or scheduling pause) without anything being wrong.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")

ROOT = Path(__file__).resolve().parent.parent

KEPT_TOGETHER = re.compile(
    r"""@pytest\.fixture\(\s*scope\s*=\s*["'](?:module|class|package)["']|^pytestmark = pytest\.mark\.xdist_group\(""",
    re.MULTILINE,
)
"""A fixture set up once for many tests of its module (a browser, a generated package, a server), or a module that
asks for one worker (`pytestmark = pytest.mark.xdist_group(...)`: its tests share state, e.g. what they printed)."""


@pytest.fixture
def root() -> Path:
    return ROOT


@cache
def kept_together(path: str) -> bool:
    """Whether the tests of the module at `path` (relative to the root) run on one worker: it defines a module-,
    class- or package-scoped fixture, or asks to. Read as text: the xdist controller schedules by test id and
    imports no test module."""
    try:
        return bool(KEPT_TOGETHER.search((ROOT / path).read_text(encoding="utf-8")))
    except OSError:
        return False


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("xdist")
    group.addoption(
        "--keep-modules-together",
        action="store_true",
        help="with -n: the tests of a module that defines a module-scoped fixture (or is marked xdist_group) run on "
        "one worker; every other test goes, on its own, to whichever worker is free",
    )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """One work unit per module kept together, one per test otherwise. (xdist's own `--dist loadgroup`
    cannot be used for this: it marks a group by rewriting the test id, which pytest 9.2 no longer lets it do.)"""
    if not config.getoption("keep_modules_together"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModulesTogetherScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if kept_together(path) else nodeid

    return ModulesTogetherScheduling(config, log)


pytest_plugins = ["retently_oauth.pytest_plugin"]
