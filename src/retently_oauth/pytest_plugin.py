"""pytest plugin: the `retently_server` fixture, a running embedded Retently server per test.

Enable it with `pytest_plugins = ["retently_oauth.pytest_plugin"]` in a conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .testing import RetentlyServer, retently_server_fixture


@pytest.fixture
def retently_server() -> Iterator[RetentlyServer]:
    """A running embedded Retently server on 127.0.0.1 (default settings; adjust its attributes in the test)."""
    yield from retently_server_fixture()
