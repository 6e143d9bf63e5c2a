"""`mypy --strict` over every generated corpus package, in ONE run (the second step of `nox -s corpus`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .harness import Entry, cache_dir, generate_cached, load_corpus

CORPUS = load_corpus()


@pytest.fixture(scope="module")
def mypy_errors() -> dict[str, list[str]]:
    """Each schema id: "not generated", "does not compile", or mypy's error lines for its package."""
    errors: dict[str, list[str]] = {}
    checked: dict[str, Path] = {}
    for entry in CORPUS:
        try:
            result = generate_cached(entry)
        except Exception as exc:
            errors[entry.id] = [f"not generated: {type(exc).__name__}: {str(exc)[:300]}"]
            continue
        package_dir = result.directory / result.package
        broken = []
        for path in sorted(package_dir.rglob("*.py")):
            try:
                compile(path.read_bytes(), str(path), "exec")
            except (SyntaxError, ValueError) as exc:
                broken.append(f"does not compile: {path.name}: {exc}"[:400])
        if broken:
            errors[entry.id] = broken
            continue
        errors[entry.id] = []
        checked[entry.id] = package_dir
    if checked:
        config = cache_dir() / "mypy.ini"
        config.write_text("[mypy]\nstrict = True\npython_version = 3.10\n")
        command = [sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir", str(cache_dir() / "mypy")]
        for package_dir in checked.values():
            command += ["-p", package_dir.name]
        env = {**os.environ, "MYPYPATH": os.pathsep.join(str(p.parent) for p in checked.values())}
        done = subprocess.run(
            command, check=False, capture_output=True, text=True, env=env, cwd=cache_dir(), timeout=600
        )
        lines = (done.stdout + done.stderr).splitlines()
        for entry_id, package_dir in checked.items():
            marker = f"{package_dir.name}{os.sep}"
            errors[entry_id] = [line for line in lines if marker in line and ": error:" in line]
        counted = re.search(r"(?:in|checked) (\d+) source files?", lines[-1] if lines else "")
        if counted is None or int(counted.group(1)) < len(checked):
            pytest.fail("mypy did not check every package:\n" + "\n".join(lines[-20:]), pytrace=False)
        if done.returncode not in (0, 1) or (done.returncode == 1 and not any(errors.values())):
            pytest.fail(f"mypy failed to run ({done.returncode}):\n" + "\n".join(lines[:40]), pytrace=False)
    return errors


@pytest.mark.parametrize("entry", [pytest.param(e, id=e.id) for e in CORPUS])
def test_mypy_strict(entry: Entry, mypy_errors: dict[str, list[str]]) -> None:
    found = mypy_errors[entry.id]
    assert not found, f"{entry.source}: {len(found)} mypy --strict errors:\n" + "\n".join(found[:15])
