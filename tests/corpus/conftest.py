"""The corpus runs only in `nox -s corpus` (RETENTLY_CORPUS=1), whose venv has the corpus packages and
hypothesis-jsonschema's pinned hypothesis; the mypy sweep runs as a second step (RETENTLY_CORPUS=mypy)."""

from __future__ import annotations

import os

import pytest

_PHASE = os.environ.get("RETENTLY_CORPUS", "")
collect_ignore_glob = [] if _PHASE else ["test_*.py"]
if _PHASE != "mypy":
    collect_ignore_glob.append("test_corpus_mypy.py")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Which schemas hypothesis-jsonschema could not draw from (their documents came from the fallbacks)."""
    notes: list[str] = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == "corpus_note" and getattr(report, "when", "") == "call":
                    notes.append(f"{report.nodeid}: {value}")
    if notes:
        terminalreporter.write_sep("=", "corpus notes")
        for line in sorted(set(notes)):
            terminalreporter.write_line(line)
