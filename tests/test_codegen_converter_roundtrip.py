"""A document the schema accepts round-trips through the generated converter to EQUAL JSON: a key present with
null stays present with null, a key absent stays absent (also through nullable `$ref`s, aliases of aliases, unions
holding null, nullable arrays and maps, inherited fields and defaults); and a structured document owns its data:
typed maps and lists are never the caller's objects, in or out."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .corpus.harness import generate_package, import_package, json_equal

D7 = "http://json-schema.org/draft-07/schema#"


def _package(tmp_path_factory: pytest.TempPathFactory, name: str, schema: dict[str, Any]) -> ModuleType:
    base = tmp_path_factory.mktemp(name)
    schema_path = base / f"{name}.schema.json"
    schema_path.write_text(json.dumps(schema), encoding="utf-8")
    generate_package(schema_path, base / "out", name)
    return import_package(Path(base / "out"), name)


def _roundtrip(pkg: ModuleType, doc: Any) -> Any:
    converter = pkg.make_converter()
    out = converter.unstructure(converter.structure(copy.deepcopy(doc), pkg.ROOT), unstructure_as=pkg.ROOT)
    json.dumps(out)  # JSON values only
    return out


# --- explicit null versus absent --------------------------------------------------------------------------------

NULLS: dict[str, Any] = {
    "$schema": D7,
    "title": "Doc",
    "type": "object",
    "properties": {
        "depends_on": {"$ref": "#/definitions/DependsOn"},  # buildkite's shape
        "again": {"$ref": "#/definitions/Again"},  # an alias of that alias
        "only_null": {"$ref": "#/definitions/OnlyNull"},
        "const_null": {"$ref": "#/definitions/ConstNull"},
        "enum_null": {"$ref": "#/definitions/EnumNull"},
        "anything": {"$ref": "#/definitions/Anything"},
        "maybe_list": {"$ref": "#/definitions/MaybeList"},
        "maybe_map": {"$ref": "#/definitions/MaybeMap"},
        "maybe_obj": {"$ref": "#/definitions/MaybeObj"},
        "wrapped": {"allOf": [{"$ref": "#/definitions/DependsOn"}]},
        "inline_union": {"anyOf": [{"type": "null"}, {"type": "string"}]},
        "one_of": {"oneOf": [{"type": "null"}, {"$ref": "#/definitions/Obj"}]},
        "typed": {"type": ["array", "null"], "items": {"$ref": "#/definitions/Obj"}},
        "map": {"type": "object", "additionalProperties": {"anyOf": [{"type": "null"}, {"$ref": "#/definitions/Obj"}]}},
        "items": {"type": "array", "items": {"$ref": "#/definitions/DependsOn"}},
        "child": {"$ref": "#/definitions/Child"},
        "required_null": {"$ref": "#/definitions/Required"},
        "defaulted": {"$ref": "#/definitions/DependsOn", "default": "x"},
        "defaulted_null": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "defaulted_obj": {"anyOf": [{"$ref": "#/definitions/Obj"}, {"type": "null"}], "default": {"step": "s"}},
    },
    "definitions": {
        "DependsOn": {"anyOf": [{"type": "null"}, {"type": "string"}, {"$ref": "#/definitions/DependsOnList"}]},
        "DependsOnList": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"$ref": "#/definitions/Obj"}]}},
        "Again": {"$ref": "#/definitions/DependsOn"},
        "OnlyNull": {"type": "null"},
        "ConstNull": {"const": None},
        "EnumNull": {"enum": ["a", None]},
        "Anything": {},
        "MaybeList": {"type": ["array", "null"], "items": {"type": "integer"}},
        "MaybeMap": {"type": ["object", "null"], "additionalProperties": {"type": "integer"}},
        "MaybeObj": {"type": ["object", "null"], "properties": {"a": {"type": "string"}}},
        "Obj": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"step": {"type": "string"}, "n": {"type": ["integer", "null"]}},
        },
        "Base": {"type": "object", "properties": {"b": {"$ref": "#/definitions/DependsOn"}}},
        "Child": {
            "allOf": [
                {"$ref": "#/definitions/Base"},
                {"type": "object", "properties": {"c": {"$ref": "#/definitions/Again"}}},
            ]
        },
        "Required": {"type": "object", "required": ["q"], "properties": {"q": {"$ref": "#/definitions/DependsOn"}}},
    },
}


@pytest.fixture(scope="module")
def nulls(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return _package(tmp_path_factory, "rt_nulls", NULLS)


NOT_NULLABLE = ("map", "items", "child", "required_null")


@pytest.mark.parametrize("key", sorted(k for k in NULLS["properties"] if k not in NOT_NULLABLE))
def test_an_explicit_null_stays_and_an_absent_key_stays_absent(nulls: ModuleType, key: str) -> None:
    assert _roundtrip(nulls, {key: None}) == {key: None}
    assert _roundtrip(nulls, {}) == {}


@pytest.mark.parametrize(
    "doc",
    [
        {"depends_on": "a"},
        {"depends_on": ["a", {"step": "s", "n": None}]},
        {"again": [{"n": None}]},
        {"enum_null": "a"},
        {"maybe_list": [1, 2]},
        {"maybe_map": {"a": 1}},
        {"maybe_obj": {"a": "x"}},
        {"one_of": {"n": None}},
        {"typed": [{"n": None}, {}]},
        {"map": {"a": None, "b": {"n": None}, "c": {}}},
        {"items": [None, "a", ["b", {"n": None}]]},
        {"child": {"b": None}},
        {"child": {"c": None}},
        {"child": {"b": None, "c": ["x"]}},
        {"child": {}},
        {"required_null": {"q": None}},
        {"defaulted": "x"},
        {"defaulted": None},
        {"defaulted_null": None},
        {"defaulted_null": "x"},
        {"defaulted_obj": {"step": "s"}},
        {"defaulted_obj": {}},
    ],
    ids=lambda doc: json.dumps(doc, sort_keys=True),
)
def test_documents_with_nulls_round_trip_to_equal_json(nulls: ModuleType, doc: Any) -> None:
    out = _roundtrip(nulls, doc)
    assert json_equal(out, doc), f"{doc!r} was written back as {out!r}"


def test_absent_and_null_are_different_values(nulls: ModuleType) -> None:
    converter = nulls.make_converter()
    absent = converter.structure({}, nulls.ROOT)
    null = converter.structure({"depends_on": None, "child": {"b": None}}, nulls.ROOT)
    assert absent.depends_on is nulls.UNSET and null.depends_on is None
    assert absent != null
    assert converter.structure({"child": {}}, nulls.ROOT).child.b is nulls.UNSET
    assert null.child.b is None


# --- a structured document owns its data ------------------------------------------------------------------------

OWNED: dict[str, Any] = {
    "$schema": D7,
    "title": "Owner",
    "type": "object",
    "properties": {
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "by_prefix": {"type": "object", "patternProperties": {"^x": {"type": "integer"}}},
        "lists": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "integer"}}},
        "maps": {
            "type": "object",
            "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "list_of_maps": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "integer"}}},
        "grid": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
        "nullable_map": {"type": ["object", "null"], "additionalProperties": {"type": "integer"}},
        "ref_map": {"$ref": "#/definitions/Counts"},
        "items": {"type": "array", "items": {"$ref": "#/definitions/Item"}},
        "item_map": {"type": "object", "additionalProperties": {"$ref": "#/definitions/Item"}},
        "free": {"type": "object"},
        "anything": {},
        "either": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "array"}}]},
    },
    "definitions": {
        "Counts": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "integer"}}},
        "Item": {
            "type": "object",
            "properties": {"tags": {"type": "array", "items": {"type": "string"}}, "meta": {"type": "object"}},
        },
    },
}

OWNED_DOC: dict[str, Any] = {
    "counts": {"a": 1},
    "by_prefix": {"x1": 1, "y": [1]},
    "lists": {"a": [1, 2]},
    "maps": {"a": {"b": "c"}},
    "list_of_maps": [{"a": 1}],
    "grid": [[1, 2], [3]],
    "nullable_map": {"a": 1},
    "ref_map": {"a": [1]},
    "items": [{"tags": ["t"], "meta": {"k": [1, {"deep": []}]}, "extra": {"e": [1]}}],
    "item_map": {"i": {"tags": ["t"], "meta": {"k": {}}}},
    "free": {"a": {"b": [1]}},
    "anything": [{"a": [1]}],
    "either": [[1, {"a": []}]],
    "extra": {"kept": [1, {"and": {}}]},
}


def _mutate_containers(value: Any) -> None:
    """Changes every dict and list in `value`, at every depth (after visiting what they hold)."""
    if type(value) is dict:
        for x in list(value.values()):
            _mutate_containers(x)
        value["__mutated__"] = 1
    elif type(value) is list:
        for x in list(value):
            _mutate_containers(x)
        value.append("__mutated__")


@pytest.fixture(scope="module")
def owned(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return _package(tmp_path_factory, "rt_owned", OWNED)


@pytest.mark.parametrize("key", sorted(OWNED_DOC))
def test_changing_the_input_after_structuring_leaves_the_object_alone(owned: ModuleType, key: str) -> None:
    converter = owned.make_converter()
    doc = copy.deepcopy({key: OWNED_DOC[key]})
    obj = converter.structure(doc, owned.ROOT)
    before = copy.deepcopy(converter.unstructure(obj, unstructure_as=owned.ROOT))
    assert before == {key: OWNED_DOC[key]}
    _mutate_containers(doc)
    assert converter.unstructure(obj, unstructure_as=owned.ROOT) == before


@pytest.mark.parametrize("key", sorted(OWNED_DOC))
def test_changing_the_output_of_unstructure_leaves_the_object_alone(owned: ModuleType, key: str) -> None:
    converter = owned.make_converter()
    obj = converter.structure(copy.deepcopy({key: OWNED_DOC[key]}), owned.ROOT)
    out = converter.unstructure(obj, unstructure_as=owned.ROOT)
    _mutate_containers(out)
    assert converter.unstructure(obj, unstructure_as=owned.ROOT) == {key: OWNED_DOC[key]}


@pytest.mark.parametrize("json_library", ["json", "orjson"])
def test_an_owned_document_round_trips_whole(owned: ModuleType, json_library: str) -> None:
    converter = owned.make_converter(json=json_library)
    obj = converter.loads(json.dumps(OWNED_DOC), owned.ROOT)
    assert json.loads(converter.dumps(obj, unstructure_as=owned.ROOT)) == OWNED_DOC


def test_mypy_strict_on_these_packages(nulls: ModuleType, owned: ModuleType, tmp_path: Path) -> None:
    """The generated code for these schemas type-checks (python 3.10 rules, as the project supports)."""
    dirs = [Path(str(pkg.__file__)).parent for pkg in (nulls, owned)]
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\npython_version = 3.10\n")
    command = [sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir", str(tmp_path / "cache")]
    for d in dirs:
        command += ["-p", d.name]
    env = {**os.environ, "MYPYPATH": os.pathsep.join(str(d.parent) for d in dirs)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
