"""Every ```python block of README.md runs as pasted, type-checks under `mypy --strict` and has no unused or
undefined names (ruff's pyflakes rules), so the examples stay true.

Each block runs in its own interpreter, in an empty directory, without RETENTLY_* variables; a block that needs
a server starts the embedded one itself (`retently_oauth.testing.RetentlyServer`), as a reader would.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)
BOUND = 60.0
"""Hang guard, in seconds, for one block, and for one mypy run over all of them."""


def blocks() -> list[tuple[str, str]]:
    """(id, source) of each ```python block; the id names the section it stands in and its line."""
    text = README.read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        headings = re.findall(r"^#+ (.+)$", text[: match.start()], re.MULTILINE)
        section = re.sub(r"\W+", "-", headings[-1] if headings else "top").strip("-").lower()
        found.append((f"{section}-line{line}", match.group(1)))
    return found


BLOCKS = blocks()


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("RETENTLY_", "SSL_CERT", "REQUESTS_CA"))}


def write_blocks(directory: Path) -> list[Path]:
    paths = []
    for number, (_, source) in enumerate(BLOCKS, 1):
        path = directory / f"readme_block_{number}.py"
        path.write_text(source, encoding="utf-8")
        paths.append(path)
    return paths


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("source", [source for _, source in BLOCKS], ids=[name for name, _ in BLOCKS])
def test_each_python_block_runs_as_pasted(source: str, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(source, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=BOUND,
        env=clean_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is in the lint extra")
def test_every_python_block_passes_mypy_strict(tmp_path: Path) -> None:
    paths = write_blocks(tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            *map(str, paths),
        ],
        cwd=tmp_path,  # no project configuration: the blocks are checked as a user's own files would be
        capture_output=True,
        text=True,
        timeout=BOUND * 3,
        env=clean_env(),
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff is in the lint extra")
def test_no_python_block_has_unused_or_undefined_names(tmp_path: Path) -> None:
    paths = write_blocks(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select", "F", *map(str, paths)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=BOUND,
        env=clean_env(),
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
