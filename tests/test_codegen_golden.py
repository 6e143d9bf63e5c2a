"""generated/ is exactly what schema/ + codegen/ produce, and producing it is deterministic."""

from __future__ import annotations

import hashlib
from pathlib import Path

from retently_oauth_codegen.generate import DMCG_VERSION, PACKAGE, SCHEMA, generate


def _files(package: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(package.iterdir()) if p.is_file()}


def test_regenerating_equals_committed_output_byte_for_byte(root: Path, tmp_path: Path) -> None:
    fresh = _files(generate(SCHEMA, tmp_path))
    committed = _files(root / "generated" / PACKAGE)
    assert sorted(fresh) == sorted(committed)
    for name, data in fresh.items():
        assert data == committed[name], f"generated/{PACKAGE}/{name} is stale: run `python -m codegen`"


def test_two_runs_give_identical_bytes(tmp_path: Path) -> None:
    first = _files(generate(SCHEMA, tmp_path / "a"))
    second = _files(generate(SCHEMA, tmp_path / "b"))
    assert first == second


def test_header_names_schema_digest_and_generator_version(root: Path) -> None:
    digest = hashlib.sha256(SCHEMA.read_bytes()).hexdigest()
    for path in (root / "generated" / PACKAGE).glob("*.py"):
        head = path.read_text().splitlines()[:2]
        assert "do not edit" in head[0]
        assert f"datamodel-code-generator {DMCG_VERSION}" in head[0]
        assert digest in head[1]


def test_check_command_fails_with_a_diff_when_output_is_stale(tmp_path: Path, capsys: object) -> None:
    from retently_oauth_codegen.cli import main

    package = generate(SCHEMA, tmp_path)
    models = package / "models.py"
    models.write_text(models.read_text().replace("class TokenResponse:", "class TokenResponse:  # edited"))
    assert main(["check", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "-class TokenResponse:  # edited" in out
    assert "+class TokenResponse:" in out
    generate(SCHEMA, tmp_path)
    assert main(["check", "--out", str(tmp_path)]) == 0
