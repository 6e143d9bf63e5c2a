"""The generator core: roots of every kind through ROOT, several packages in one process, --class-name, headers,
and `codegen diff` classifying constraint changes."""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from retently_oauth_codegen.cli import main as codegen_main
from retently_oauth_codegen.generate import DMCG_VERSION, generate

ITEM = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
ROOTS: dict[str, tuple[dict[str, Any], Any, Any]] = {
    # name: (schema, a valid document, an invalid document)
    "array": ({"type": "array", "items": {"$ref": "#/$defs/Item"}, "$defs": {"Item": ITEM}}, [{"n": 1}], [{}]),
    "map": ({"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}, {"a": 1}, {"a": -1}),
    "scalar": ({"type": "string", "minLength": 2}, "ab", "a"),
    "enum": ({"enum": [1, 2, "x"]}, 2, 3),
    "union": ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, 5, 1.5),
    "object": ({"title": "Thing", "type": "object", "properties": {"a": {"type": "boolean"}}}, {"a": True}, {"a": 1}),
}


@pytest.fixture
def packages(tmp_path: Path) -> Iterator[dict[str, Any]]:
    out = tmp_path / "out"
    out.mkdir()
    for name, (schema, _, _) in ROOTS.items():
        path = tmp_path / f"{name}.schema.json"
        path.write_text(json.dumps(schema))
        built = generate(path, tmp_path / name, package=f"core_{name}")  # each package an --out of its own
        built.rename(out / built.name)
    sys.path.insert(0, str(out))
    try:
        yield {name: importlib.import_module(f"core_{name}") for name in ROOTS}
    finally:
        sys.path.remove(str(out))
        for key in [k for k in sys.modules if k.startswith("core_")]:
            del sys.modules[key]


def test_every_root_kind_structures_and_round_trips_through_root(packages: dict[str, Any]) -> None:
    for name, (_, good, bad) in ROOTS.items():
        package = packages[name]
        converter = package.make_converter()
        value = converter.structure(good, package.ROOT)
        assert converter.unstructure(value, unstructure_as=package.ROOT) == good, name
        with pytest.raises(package.DocumentError) as caught:
            converter.structure(bad, package.ROOT)
        assert all(problem.path.startswith("$") for problem in caught.value.problems), name


def test_packages_in_one_process_keep_their_own_errors(packages: dict[str, Any]) -> None:
    errors = {package.DocumentError for package in packages.values()}
    assert len(errors) == len(packages)
    assert packages["object"].ROOT.__name__ == "Thing"
    assert packages["object"].ROOT.__module__ == "core_object.models"


def test_class_name_names_the_root_even_with_a_title(tmp_path: Path) -> None:
    path = tmp_path / "titled.json"
    path.write_text(json.dumps({"title": "Titled", "type": "object", "properties": {"a": {"type": "string"}}}))
    assert codegen_main(["generate", "--schema", str(path), "--out", str(tmp_path), "--package", "named"]) == 0
    args = ["generate", "--schema", str(path), "--out", str(tmp_path), "--package", "named", "--class-name", "Root"]
    assert codegen_main(args) == 0
    models = (tmp_path / "named" / "models.py").read_text()
    assert "class Root:" in models
    assert "class Titled" not in models


def test_header_names_schema_digest_and_both_versions(tmp_path: Path) -> None:
    path = tmp_path / "small.schema.json"
    path.write_text(json.dumps({"type": "object", "properties": {"a": {"type": "string"}}}))
    package = generate(path, tmp_path / "out", package="small")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    for file in package.glob("*.py"):
        head = file.read_text().splitlines()[:2]
        assert "do not edit" in head[0]
        assert f"datamodel-code-generator {DMCG_VERSION}" in head[0]
        assert "retently-oauth" in head[0]
        assert f"small.schema.json (sha256 {digest})" in head[1]


def _schema(**prop: Any) -> dict[str, Any]:
    return {"$defs": {"Doc": {"type": "object", "properties": {"name": {"type": "string", **prop}}}}}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"maxLength": 10}, {"maxLength": 5}, "BREAKING  Doc.name: maxLength 10 -> 5 (narrowed)"),
        ({"maxLength": 5}, {"maxLength": 10}, "compatible  Doc.name: maxLength 5 -> 10"),
        ({}, {"minLength": 1}, "BREAKING  Doc.name: minLength 1 added (narrowed)"),
        ({"minLength": 1}, {}, "compatible  Doc.name: minLength 1 removed"),
        ({}, {"pattern": "^a"}, "BREAKING  Doc.name: pattern '^a' added (narrowed)"),
        ({}, {"format": "email"}, "BREAKING  Doc.name: format 'email' added (narrowed)"),
    ],
)
def test_diff_classifies_constraint_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: dict[str, Any], new: dict[str, Any], expected: str
) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_schema(**old)))
    b.write_text(json.dumps(_schema(**new)))
    status = codegen_main(["diff", str(a), str(b)])
    assert capsys.readouterr().out.splitlines() == [expected]
    assert status == (1 if expected.startswith("BREAKING") else 0)
