"""Review session 4 (a new user and a downstream SDK author on a fresh clone): defects found, one test each.

Each test states what a user typed and what they should have got. Run:
`.nox/ci/bin/pytest -q -p no:cacheprovider tests/test_review_generated_depth.py`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BOUND = 60.0
"""Hang guard for one command, in seconds."""


def codegen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "retently_oauth_codegen", *args],
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=False,
    )


def test_a_generated_converter_reads_deeply_nested_json_as_a_document_error() -> None:
    """`retently_oauth.loads("[" * 100000, TokenResponse)` is a DocumentError (`$: JSON nested too deeply`), but the
    generated package's own converter, what a downstream SDK uses, raised a bare RecursionError."""
    import retently_oauth_models as models

    converter = models.make_converter()
    with pytest.raises(models.DocumentError):
        converter.loads("[" * 100_000 + "]" * 100_000, models.TokenResponse)


def test_a_deep_document_of_a_recursive_schema_is_a_document_error(tmp_path: Path) -> None:
    """A tree schema (`Node.children: list[Node]`): structuring a document 5,000 levels deep raised a bare
    RecursionError from the generated converter. Expected: a DocumentError naming where it got too deep."""
    schema = tmp_path / "tree.json"
    node = {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}
    schema.write_text(json.dumps({"$defs": {"Node": node}, "$ref": "#/$defs/Node"}))
    done = codegen("generate", "--schema", str(schema), "--out", str(tmp_path / "out"), "--package", "tree_models")
    assert done.returncode == 0, done.stderr
    probe = (
        "import tree_models as t\n"
        "d = {'children': []}\n"
        "for _ in range(5000):\n"
        "    d = {'children': [d]}\n"
        "try:\n"
        "    t.make_converter().structure(d, t.ROOT)\n"
        "except t.DocumentError as exc:\n"
        "    print('DocumentError', str(exc).splitlines()[-1])\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path / "out",
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=False,
    )
    assert ran.returncode == 0 and ran.stdout.startswith("DocumentError"), ran.stderr[-500:]
