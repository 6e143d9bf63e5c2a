"""A document the schema accepts round-trips through the generated converter to EQUAL JSON: a key present with
null stays present with null, a key absent stays absent (also through nullable `$ref`s, aliases of aliases, unions
holding null, nullable arrays and maps, inherited fields and defaults); and a structured document owns its data:
typed maps and lists are never the caller's objects, in or out."""

from __future__ import annotations

import copy
import json
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
