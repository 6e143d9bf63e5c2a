"""One minimal schema for every cause of issue 8 ("The causes, as measured"). Each test generates a package with
its own name, imports it, and checks the documents against `jsonschema`'s verdict: what jsonschema accepts must
structure and round-trip to equal JSON; what it rejects must raise the package's DocumentError at the right path."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .corpus.harness import generate_package, import_package, json_equal, mutants, path_in, validator_for

ROOT_DIR = Path(__file__).resolve().parent.parent
D7 = "http://json-schema.org/draft-07/schema#"
D4 = "http://json-schema.org/draft-04/schema#"
D2020 = "https://json-schema.org/draft/2020-12/schema"

Json = Any


@dataclass
class Built:
    name: str
    schema_path: Path
    package_dir: Path
    pkg: ModuleType
    validator: Any

    def structure(self, doc: Json, cls: Any = None) -> Any:
        return self.pkg.make_converter().structure(doc, cls if cls is not None else self.pkg.ROOT)

    def accepts(self, doc: Json, *, mutate: bool = True) -> Any:
        """jsonschema accepts `doc`; so must the package, and writing it back gives equal JSON. Then each mutant
        of `doc` (a type swapped, a key dropped, an unknown key added, a bound crossed) gets jsonschema's verdict."""
        assert self.validator.is_valid(doc), f"test bug: jsonschema rejects {doc!r}"
        converter = self.pkg.make_converter()
        obj = converter.structure(doc, self.pkg.ROOT)
        out = converter.unstructure(obj, unstructure_as=self.pkg.ROOT)
        assert json_equal(out, doc), f"{self.name}: {doc!r} was written back as {out!r}"
        json.dumps(out)
        if mutate:
            for _, mutant in mutants(doc, random.Random(json.dumps(doc, sort_keys=True))):
                self.agrees(mutant, mutate=False)
        return obj

    def rejects(self, doc: Json, path: str | None = None) -> Any:
        """jsonschema rejects `doc`; so must the package, with a DocumentError naming `path`."""
        assert not self.validator.is_valid(doc), f"test bug: jsonschema accepts {doc!r}"
        with pytest.raises(self.pkg.DocumentError) as caught:
            self.structure(doc)
        paths = [p.path for p in caught.value.problems]
        assert paths, f"{self.name}: DocumentError without problems for {doc!r}"
        assert all(path_in(doc, p) for p in paths), f"{self.name}: {doc!r}: problem paths {paths} not in the document"
        if path is not None:
            assert path in paths, f"{self.name}: {doc!r}: expected a problem at {path}, got {paths}"
        return caught.value

    def agrees(self, doc: Json, *, mutate: bool = True) -> None:
        """Whatever jsonschema says about `doc`, the package says too."""
        if self.validator.is_valid(doc):
            self.accepts(doc, mutate=mutate)
        else:
            try:
                self.rejects(doc)
            except (AssertionError, pytest.fail.Exception) as exc:
                raise AssertionError(f"{self.name}: jsonschema rejects {doc!r}, the package does not") from exc


class Builder:
    """build(name, schema, files={...}, class_name=None): generates once per module and imports the package."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self.factory = factory
        self.made: dict[str, Built | Exception] = {}

    def __call__(
        self, name: str, schema: Json, *, files: dict[str, Json] | None = None, class_name: str | None = None
    ) -> Built:
        if name not in self.made:
            try:
                self.made[name] = self._make(name, schema, files or {}, class_name)
            except Exception as exc:
                self.made[name] = exc
        made = self.made[name]
        if isinstance(made, Exception):
            raise made
        return made

    def _make(self, name: str, schema: Json, files: dict[str, Json], class_name: str | None) -> Built:
        base = self.factory.mktemp(f"reg_{name}")
        schema_dir = base / "schemas"
        schema_dir.mkdir()
        schema_path = schema_dir / f"{name}.schema.json"
        schema_path.write_text(json.dumps(schema, indent=2, ensure_ascii=False), encoding="utf-8")
        for file_name, content in files.items():
            (schema_dir / file_name).write_text(json.dumps(content, indent=2), encoding="utf-8")
        package = f"reg_{name}"
        package_dir = generate_package(schema_path, base / "out", package, class_name)
        pkg = import_package(base / "out", package)
        return Built(name, schema_path, package_dir, pkg, validator_for(schema_path, schema))


Build = Builder


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Builder:
    return Builder(tmp_path_factory)


def obj_schema(properties: dict[str, Json], required: tuple[str, ...] = (), **extra: Json) -> Json:
    schema: dict[str, Json] = {"$schema": D7, "title": "Doc", "type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return schema


# --- inline models (KeyError tracebacks today) ------------------------------------------------------------------


def test_inline_object(build: Build) -> None:
    address = {"type": "object", "properties": {"street": {"type": "string"}}, "required": ["street"]}
    b = build("inline_object", obj_schema({"address": {**address, "additionalProperties": False}}, ("address",)))
    b.accepts({"address": {"street": "Main"}})
    b.rejects({"address": {}}, "$.address.street")
    b.rejects({"address": {"street": 1}}, "$.address.street")
    b.rejects({"address": {"street": "Main", "zip": "1"}}, "$.address.zip")
    b.rejects({}, "$.address")


def test_inline_enum(build: Build) -> None:
    b = build("inline_enum", obj_schema({"color": {"type": "string", "enum": ["red", "green"]}}))
    b.accepts({"color": "red"})
    b.accepts({})
    b.rejects({"color": "blue"}, "$.color")
    b.rejects({"color": 1}, "$.color")


def test_inline_array_of_objects(build: Build) -> None:
    item = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    b = build("inline_array", obj_schema({"items": {"type": "array", "items": item}}))
    b.accepts({"items": [{"n": 1}, {"n": 2, "extra": True}]})
    b.accepts({"items": []})
    b.rejects({"items": [{"n": 1}, {}]}, "$.items[1].n")
    b.rejects({"items": [{"n": "1"}]}, "$.items[0].n")
    b.rejects({"items": {"n": 1}}, "$.items")


def test_inline_one_of(build: Build) -> None:
    cat = {
        "type": "object",
        "properties": {"kind": {"const": "cat"}, "lives": {"type": "integer"}},
        "required": ["kind"],
    }
    dog = {"type": "object", "properties": {"kind": {"const": "dog"}, "bark": {"type": "string"}}, "required": ["kind"]}
    b = build("inline_one_of", obj_schema({"pet": {"oneOf": [cat, dog]}}))
    b.accepts({"pet": {"kind": "cat", "lives": 9}})
    b.accepts({"pet": {"kind": "dog", "bark": "woof"}})
    for doc in ({"pet": {"kind": "cow"}}, {"pet": {"kind": "cat", "lives": "9"}}, {"pet": "cat"}, {"pet": {}}):
        error = b.rejects(doc)
        assert all(p.path.startswith("$.pet") for p in error.problems), error.problems


def test_inline_any_of(build: Build) -> None:
    value = {"anyOf": [{"type": "string", "maxLength": 3}, {"type": "integer", "minimum": 10}]}
    b = build("inline_any_of", obj_schema({"v": value}))
    b.accepts({"v": "ab"})
    b.accepts({"v": 12})
    for bad in ("abcd", 5, True, None, 12.5):
        b.rejects({"v": bad}, "$.v")


def test_inline_all_of(build: Build) -> None:
    a = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    bb = {"type": "object", "properties": {"b": {"type": "string"}}, "required": ["b"]}
    b = build("inline_all_of", obj_schema({"v": {"allOf": [a, bb]}}))
    b.accepts({"v": {"a": 1, "b": "x"}})
    b.rejects({"v": {"a": 1}}, "$.v.b")
    b.rejects({"v": {"b": "x"}}, "$.v.a")
    b.rejects({"v": {"a": "1", "b": "x"}}, "$.v.a")


# --- unions inside fields ---------------------------------------------------------------------------------------


def test_any_of_string_or_null(build: Build) -> None:
    b = build("optional_string", obj_schema({"name": {"anyOf": [{"type": "string"}, {"type": "null"}]}}))
    b.accepts({"name": "x"})
    b.accepts({"name": None})
    b.accepts({})
    b.rejects({"name": 1}, "$.name")


def test_any_of_ref_or_null(build: Build) -> None:
    point = {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}
    schema = obj_schema(
        {"p": {"anyOf": [{"$ref": "#/definitions/Point"}, {"type": "null"}]}}, definitions={"Point": point}
    )
    b = build("optional_ref", schema)
    b.accepts({"p": {"x": 1.5}})
    b.accepts({"p": None})
    b.rejects({"p": {}})
    b.rejects({"p": 3}, "$.p")


def test_string_or_integer(build: Build) -> None:
    b = build("str_or_int", obj_schema({"v": {"type": ["string", "integer"]}}))
    b.accepts({"v": "a"})
    b.accepts({"v": 3})
    for bad in (1.5, True, None, []):
        b.rejects({"v": bad}, "$.v")


def test_list_of_model_or_string(build: Build) -> None:
    item = {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}
    value = {"anyOf": [{"type": "array", "items": {"$ref": "#/definitions/Item"}}, {"type": "string"}]}
    b = build("list_or_str", obj_schema({"v": value}, definitions={"Item": item}))
    b.accepts({"v": [{"id": 1}, {"id": 2}]})
    b.accepts({"v": "all"})
    b.rejects({"v": [{"id": "x"}]})
    b.rejects({"v": 5}, "$.v")


def test_bool_or_model(build: Build) -> None:
    opts = {"type": "object", "properties": {"level": {"type": "integer"}}, "additionalProperties": False}
    b = build(
        "bool_or_model",
        obj_schema({"v": {"anyOf": [{"type": "boolean"}, {"$ref": "#/definitions/Opts"}]}}, definitions={"Opts": opts}),
    )
    b.accepts({"v": True})
    b.accepts({"v": False})
    b.accepts({"v": {"level": 2}})
    b.rejects({"v": 1}, "$.v")
    b.rejects({"v": "true"}, "$.v")
    b.rejects({"v": {"level": "x"}})


def test_type_null(build: Build) -> None:
    b = build("type_null", obj_schema({"nothing": {"type": "null"}}))
    b.accepts({"nothing": None})
    b.accepts({})
    b.rejects({"nothing": 0}, "$.nothing")
    b.rejects({"nothing": False}, "$.nothing")
    b.rejects({"nothing": ""}, "$.nothing")


def test_union_of_non_objects(build: Build) -> None:
    value = {
        "anyOf": [
            {"type": "integer"},
            {"type": "string", "enum": ["auto"]},
            {"type": "array", "items": {"type": "integer"}},
        ]
    }
    b = build("scalar_union", obj_schema({"v": value}))
    for good in (5, "auto", [1, 2], []):
        b.accepts({"v": good})
    for bad in ("manual", [1, "x"], 1.5, {}, None):
        b.rejects({"v": bad})


# --- allOf inheritance ------------------------------------------------------------------------------------------

BASE = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
CHILD_DOCS: list[Json] = [{"a": 1, "b": "x"}, {"b": "x"}, {"a": 1}, {}, {"a": "1", "b": "x"}, {"a": 1, "c": 2}]


def test_all_of_inheritance_as_the_issue_writes_it(build: Build) -> None:
    """Child = allOf[Base{a required}, {b}] with additionalProperties: false beside the allOf (jsonschema decides)."""
    child = {"allOf": [{"$ref": "#/definitions/Base"}, {"type": "object", "properties": {"b": {"type": "string"}}}]}
    schema = {"$schema": D7, "definitions": {"Base": BASE, "Child": {**child, "additionalProperties": False}}}
    b = build("all_of_closed", {**schema, "$ref": "#/definitions/Child"})
    for doc in CHILD_DOCS:
        b.agrees(doc)


def test_all_of_inheritance_with_properties_restated(build: Build) -> None:
    """The closed spelling that accepts {"a":1,"b":"x"}: the child lists every property beside the allOf."""
    child = {
        "allOf": [{"$ref": "#/definitions/Base"}],
        "properties": {"a": {}, "b": {"type": "string"}},
        "additionalProperties": False,
    }
    schema = {"$schema": D7, "definitions": {"Base": BASE, "Child": child}, "$ref": "#/definitions/Child"}
    b = build("all_of_restated", schema)
    b.accepts({"a": 1, "b": "x"})
    b.accepts({"a": 1})
    b.rejects({"b": "x"}, "$.a")
    b.rejects({"a": "1"}, "$.a")
    b.rejects({"a": 1, "c": 2}, "$.c")
    for doc in CHILD_DOCS:
        b.agrees(doc)


def test_all_of_inheritance_open(build: Build) -> None:
    child = {"allOf": [{"$ref": "#/definitions/Base"}, {"type": "object", "properties": {"b": {"type": "string"}}}]}
    schema = {"$schema": D7, "definitions": {"Base": BASE, "Child": child}, "$ref": "#/definitions/Child"}
    b = build("all_of_open", schema)
    b.accepts({"a": 1, "b": "x"})
    b.accepts({"a": 1, "c": [1]})
    b.rejects({"b": "x"}, "$.a")
    b.rejects({"a": 1, "b": 2}, "$.b")


# --- scalars: integer enums, non-string const, formats ---------------------------------------------------------


def test_integer_enum(build: Build) -> None:
    b = build("int_enum", obj_schema({"level": {"type": "integer", "enum": [1, 2, 3]}}))
    b.accepts({"level": 1})
    b.accepts({"level": 3})
    b.rejects({"level": 4}, "$.level")
    b.rejects({"level": "1"}, "$.level")
    b.rejects({"level": True}, "$.level")  # JSON Schema: true is not 1
    b.agrees({"level": 2.0})


def test_non_string_const(build: Build) -> None:
    props = {"n": {"const": 42}, "flag": {"const": False}, "nul": {"const": None}, "pi": {"const": 3.5}}
    b = build("const_values", obj_schema(props))
    b.accepts({"n": 42, "flag": False, "nul": None, "pi": 3.5})
    b.accepts({})
    b.rejects({"n": 43}, "$.n")
    b.rejects({"n": "42"}, "$.n")
    b.rejects({"flag": 0}, "$.flag")
    b.rejects({"flag": True}, "$.flag")
    b.rejects({"nul": "null"}, "$.nul")
    b.rejects({"pi": 3}, "$.pi")


def test_format_date_and_time(build: Build) -> None:
    props = {"d": {"type": "string", "format": "date"}, "t": {"type": "string", "format": "time"}}
    b = build("date_time_formats", obj_schema(props))
    b.accepts({"d": "2024-02-29", "t": "12:30:00Z"})
    b.accepts({"t": "08:00:00.5+02:00"})
    b.rejects({"d": "2023-02-29"}, "$.d")
    b.rejects({"d": "2024-1-1"}, "$.d")
    b.rejects({"d": 20240101}, "$.d")
    b.rejects({"t": "25:00:00Z"}, "$.t")
    b.agrees({"t": "12:30:00"})


# --- patternProperties, typed additionalProperties --------------------------------------------------------------


def test_pattern_properties(build: Build) -> None:
    schema = obj_schema(
        {"name": {"type": "string"}}, patternProperties={"^x_": {"type": "string"}}, additionalProperties=False
    )
    b = build("pattern_properties", schema)
    b.accepts({"name": "a", "x_foo": "b", "x_bar": ""})
    b.accepts({})
    b.rejects({"x_foo": 1}, "$.x_foo")
    b.rejects({"other": "1"}, "$.other")


def test_typed_additional_properties(build: Build) -> None:
    counts = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
    b = build("typed_additional", obj_schema({"counts": counts}))
    b.accepts({"counts": {"a": 1, "b": 0}})
    b.accepts({"counts": {}})
    b.rejects({"counts": {"a": "1"}}, "$.counts.a")
    b.rejects({"counts": {"a": -1}}, "$.counts.a")


# --- defaults ---------------------------------------------------------------------------------------------------


def test_non_scalar_defaults(build: Build) -> None:
    props = {
        "color": {"$ref": "#/definitions/Color", "default": "red"},
        "tags": {"type": "array", "items": {"type": "string"}, "default": []},
        "opts": {"type": "object", "properties": {"depth": {"type": "integer"}}, "default": {"depth": 1}},
        "sizes": {"type": "array", "items": {"type": "integer"}, "default": [1, 2]},
    }
    b = build("defaults", obj_schema(props, definitions={"Color": {"type": "string", "enum": ["red", "green"]}}))
    first, second = b.accepts({}), b.accepts({})
    assert getattr(first.color, "value", first.color) == "red"
    assert list(first.tags) == []
    assert list(first.sizes) == [1, 2]
    opts = first.opts
    assert (opts["depth"] if isinstance(opts, dict) else opts.depth) == 1
    for name in ("tags", "sizes", "opts"):
        a, c = getattr(first, name), getattr(second, name)
        assert a is not c or isinstance(a, (tuple, frozenset)), f"{name}: a mutable default shared between instances"
    b.accepts({"color": "green", "tags": ["x"], "opts": {"depth": 3}, "sizes": []})
    b.rejects({"color": "blue"}, "$.color")
    b.rejects({"tags": [1]}, "$.tags[0]")


# --- names ------------------------------------------------------------------------------------------------------


def test_definitions_named_like_runtime_names(build: Build) -> None:
    names = ["Problem", "DocumentError", "UNSET", "class", "list"]
    definitions = {
        n: {"type": "object", "properties": {f"f{i}": {"type": "integer"}}, "required": [f"f{i}"]}
        for i, n in enumerate(names)
    }
    props = {f"p{i}": {"$ref": f"#/definitions/{n}"} for i, n in enumerate(names)}
    b = build("runtime_names", obj_schema(props, definitions=definitions))
    b.accepts({f"p{i}": {f"f{i}": i} for i in range(len(names))})
    error = b.rejects({"p0": {"f0": "x"}}, "$.p0.f0")
    assert isinstance(error, Exception)
    b.rejects({"p1": {}}, "$.p1.f1")
    assert isinstance(b.pkg.DocumentError, type) and issubclass(b.pkg.DocumentError, Exception)
    assert not isinstance(b.pkg.UNSET, type)


def test_keyword_and_builtin_names(build: Build) -> None:
    keys = [
        "class",
        "from",
        "lambda",
        "None",
        "list",
        "type",
        "id",
        "self",
        "print",
        "str",
        "def",
        "import",
        "a b",
        "1x",
    ]
    props: dict[str, Json] = {k: {"type": "integer"} for k in keys}
    props["mode"] = {"type": "string", "enum": ["class", "None", "True", "from", "mro"]}
    props["inner"] = {"$ref": "#/definitions/str"}
    definitions = {"str": {"type": "object", "properties": {"int": {"type": "string"}}}, "dict": {"type": "string"}}
    b = build("python_names", obj_schema(props, definitions=definitions))
    b.accepts({**{k: i for i, k in enumerate(keys)}, "mode": "None", "inner": {"int": "x"}})
    b.accepts({"mode": "mro"})
    b.rejects({"class": "x"}, "$.class")
    b.rejects({"a b": "x"}, '$["a b"]')
    b.rejects({"mode": "True "}, "$.mode")


def test_descriptions_with_quotes_and_backslashes(build: Build) -> None:
    schema = obj_schema(
        {
            "a": {"type": "string", "description": 'ends with a quote"'},
            "b": {"type": "string", "description": "ends with a backslash\\"},
            "c": {"type": "string", "description": 'has """triple""" and \'\'\' quotes, \\n, {braces} and \x00'},
            "d": {"type": "string", "enum": ["x"], "title": 'Title "quoted"\\', "description": '"""'},
        },
        description='A root whose description ends in a quote: "',
        title='Doc """ title\\',
    )
    b = build("descriptions", schema)
    b.accepts({"a": "1", "b": "2", "c": "3", "d": "x"})
    b.rejects({"a": 1}, "$.a")


# --- roots of any type ------------------------------------------------------------------------------------------


def test_root_that_is_only_a_map(build: Build) -> None:
    b = build("root_map", {"$schema": D7, "type": "object", "additionalProperties": {"type": "string"}})
    b.accepts({"a": "b"})
    b.accepts({})
    b.rejects({"a": 1}, "$.a")
    b.rejects([], "$")


def test_root_one_of(build: Build) -> None:
    a = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": False}
    c = {"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"], "additionalProperties": False}
    schema = {
        "$schema": D7,
        "oneOf": [{"$ref": "#/definitions/A"}, {"$ref": "#/definitions/B"}],
        "definitions": {"A": a, "B": c},
    }
    b = build("root_one_of", schema)
    b.accepts({"a": "x"})
    b.accepts({"b": 1})
    for bad in ({"a": 1}, {}, {"a": "x", "b": 1}, [], "a"):
        b.rejects(bad)


def test_root_array(build: Build) -> None:
    item = {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}
    b = build("root_array", {"$schema": D7, "type": "array", "items": item, "minItems": 1})
    b.accepts([{"id": 1}, {"id": 2}])
    b.rejects([], "$")
    b.rejects([{"id": "1"}], "$[0].id")
    b.rejects({"id": 1}, "$")


def test_scalar_root(build: Build) -> None:
    b = build("root_scalar", {"$schema": D7, "type": "string", "minLength": 2})
    b.accepts("ab")
    b.rejects("a", "$")
    b.rejects(1, "$")
    b.rejects(None, "$")


def test_root_enum(build: Build) -> None:
    b = build("root_enum", {"$schema": D7, "title": "Mode", "type": "string", "enum": ["fast", "slow"]})
    b.accepts("fast")
    b.rejects("medium", "$")
    b.rejects(1, "$")


def test_root_enum_of_mixed_json_types(build: Build) -> None:
    b = build("root_mixed_enum", {"$schema": D7, "enum": ["a", 1, None, True, 2.5]})
    for good in ("a", 1, None, True, 2.5):
        b.accepts(good)
    for bad in ("b", 2, False, "1", 0):
        b.rejects(bad, "$")


def test_one_of_means_exactly_one(build: Build) -> None:
    b = build("one_of_exactly", obj_schema({"v": {"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 0}]}}))
    b.accepts({"v": -1})  # only the first member
    b.accepts({"v": 1.5})  # only the second
    b.rejects({"v": 5}, "$.v")  # both: not exactly one
    b.rejects({"v": -1.5}, "$.v")  # neither
    b.rejects({"v": "5"}, "$.v")


def test_class_name_names_the_root_even_with_a_title(build: Build) -> None:
    b = build("class_name", obj_schema({"x": {"type": "integer"}}, title="Some Title"), class_name="Config")
    assert b.pkg.ROOT is b.pkg.Config
    b.accepts({"x": 1})


# --- validation keywords ----------------------------------------------------------------------------------------

KEYWORDS: dict[str, tuple[Json, list[Json], list[Json]]] = {
    # property: (schema, valid values, invalid values)
    "min_length": ({"type": "string", "minLength": 2}, ["ab", "\U0001f600\U0001f600"], ["a", ""]),
    "max_length": ({"type": "string", "maxLength": 3}, ["abc", "\U0001f600" * 3], ["abcd"]),
    "pattern": ({"type": "string", "pattern": "^[a-z]+-\\d+$"}, ["ab-12"], ["AB-12", "ab-12\nx"]),
    "pattern_search": ({"type": "string", "pattern": "[0-9]"}, ["ab1cd"], ["abc"]),
    "exclusive_minimum": ({"type": "number", "exclusiveMinimum": 0}, [0.5, 1], [0, -1]),
    "exclusive_maximum": ({"type": "integer", "exclusiveMaximum": 10}, [9], [10, 11]),
    "minimum_maximum": ({"type": "integer", "minimum": 1, "maximum": 5}, [1, 5], [0, 6]),
    "multiple_of": ({"type": "number", "multipleOf": 0.5}, [2.5, 3], [2.2]),
    "multiple_of_int": ({"type": "integer", "multipleOf": 3}, [9, 0], [10]),
    "min_items": ({"type": "array", "items": {"type": "integer"}, "minItems": 2}, [[1, 2]], [[1], []]),
    "max_items": ({"type": "array", "items": {"type": "integer"}, "maxItems": 2}, [[1, 2], []], [[1, 2, 3]]),
    "unique_items": ({"type": "array", "items": {"type": "integer"}, "uniqueItems": True}, [[1, 2]], [[1, 1]]),
    "unique_any": ({"type": "array", "uniqueItems": True}, [[1, True, "1", [1]]], [[{"a": 1}, {"a": 1}], [1, 1.0]]),
    "min_properties": ({"type": "object", "minProperties": 1}, [{"a": 1}], [{}]),
    "max_properties": ({"type": "object", "maxProperties": 1}, [{"a": 1}, {}], [{"a": 1, "b": 2}]),
    "date_time": ({"type": "string", "format": "date-time"}, ["2024-01-02T03:04:05Z"], ["2024-01-02", "yesterday"]),
    "date": ({"type": "string", "format": "date"}, ["2024-02-29"], ["2024-02-30"]),
    "time": ({"type": "string", "format": "time"}, ["23:59:59+01:00"], ["24:00:00Z"]),
    "uuid": (
        {"type": "string", "format": "uuid"},
        ["12345678-1234-5678-1234-567812345678"],
        ["12345678123456781234567812345678", "x"],
    ),
    "email": ({"type": "string", "format": "email"}, ["a@example.com"], ["example.com"]),
    "uri": ({"type": "string", "format": "uri"}, ["https://example.com/x?y=1"], ["/relative/path", "not a uri"]),
    "ipv4": ({"type": "string", "format": "ipv4"}, ["192.168.0.1"], ["256.1.1.1", "1.2.3"]),
    "ipv6": ({"type": "string", "format": "ipv6"}, ["::1", "2001:db8::8a2e:370:7334"], ["12345::", "1.2.3.4"]),
}
DRAFT4_KEYWORDS: dict[str, tuple[Json, list[Json], list[Json]]] = {
    "exclusive_minimum_bool": ({"type": "number", "minimum": 0, "exclusiveMinimum": True}, [0.1], [0, -1]),
    "exclusive_maximum_bool": ({"type": "integer", "maximum": 10, "exclusiveMaximum": True}, [9], [10]),
    "exclusive_minimum_false": ({"type": "number", "minimum": 0, "exclusiveMinimum": False}, [0], [-0.5]),
}


def _keyword_package(build: Build, draft4: bool) -> Built:
    if draft4:
        schema = {"$schema": D4, "type": "object", "properties": {k: v[0] for k, v in DRAFT4_KEYWORDS.items()}}
        return build("keywords_draft4", schema)
    schema = {"$schema": D2020, "type": "object", "properties": {k: v[0] for k, v in KEYWORDS.items()}}
    return build("keywords", schema)


@pytest.mark.parametrize(("draft4", "keyword"), [(False, k) for k in KEYWORDS] + [(True, k) for k in DRAFT4_KEYWORDS])
def test_validation_keyword(build: Build, draft4: bool, keyword: str) -> None:
    b = _keyword_package(build, draft4)
    _, valid, invalid = (DRAFT4_KEYWORDS if draft4 else KEYWORDS)[keyword]
    for value in valid:
        b.accepts({keyword: value})
    for value in invalid:
        b.rejects({keyword: value}, f"$.{keyword}")


# --- untagged oneOf, secrets ------------------------------------------------------------------------------------


def test_untagged_one_of_differing_only_by_a_field_type(build: Build) -> None:
    def member(t: str) -> Json:
        return {
            "type": "object",
            "properties": {"value": {"type": t}},
            "required": ["value"],
            "additionalProperties": False,
        }

    b = build("untagged_one_of", obj_schema({"item": {"oneOf": [member("string"), member("integer")]}}))
    b.accepts({"item": {"value": "x"}})
    b.accepts({"item": {"value": 3}})
    for bad in ({"item": {"value": 1.5}}, {"item": {}}, {"item": {"value": None}}, {"item": {"value": "x", "y": 1}}):
        b.rejects(bad)


def test_airbyte_secret_is_masked(build: Build) -> None:
    props = {
        "token": {"type": "string", "airbyte_secret": True},
        "hidden": {"type": "string", "writeOnly": True},
        "user": {"type": "string"},
    }
    b = build("airbyte_secret", obj_schema(props))
    config = b.accepts({"token": "tok-SECRET-1", "hidden": "wo-SECRET-2", "user": "visible-user"})
    for text in (repr(config), str(config)):
        assert "tok-SECRET-1" not in text
        assert "wo-SECRET-2" not in text
        assert "visible-user" in text


# --- packages, headers, files -----------------------------------------------------------------------------------


def test_two_packages_in_one_process(build: Build) -> None:
    item_a = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    item_b = {"type": "object", "properties": {"b": {"type": "string"}}, "required": ["b"]}
    first = build("two_a", {"$schema": D7, "title": "Item", **item_a})
    second = build("two_b", {"$schema": D7, "title": "Item", **item_b})
    assert first.pkg.__name__ == "reg_two_a" and second.pkg.__name__ == "reg_two_b"
    assert first.pkg.ROOT is not second.pkg.ROOT
    first.accepts({"a": 1})
    second.accepts({"b": "x"})
    first.rejects({"b": "x"}, "$.a")
    second.rejects({"a": 1}, "$.b")
    assert "reg_two_a" in sys.modules and "reg_two_b" in sys.modules


def test_header_names_schema_digest_and_generator_version(build: Build) -> None:
    b = build("header", obj_schema({"x": {"type": "integer"}}))
    digest = hashlib.sha256(b.schema_path.read_bytes()).hexdigest()
    codegen = sys.modules.get("retently_oauth_codegen")
    generator_version = getattr(codegen, "__version__", None) or version("retently-oauth")
    python_files = sorted(b.package_dir.glob("*.py"))
    assert python_files
    for path in python_files:
        head = "\n".join(path.read_text(encoding="utf-8").splitlines()[:5])
        assert b.schema_path.name in head, f"{path.name}: header does not name the schema file"
        assert digest in head, f"{path.name}: header does not carry the schema's SHA-256"
        assert generator_version in head, f"{path.name}: header does not carry the generator version"
        assert "retently_oauth.schema.json" not in head


def test_relative_external_ref_resolves_beside_the_schema(
    build: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # nothing called other.json here
    other = {"$defs": {"X": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}}}
    schema = {"$schema": D2020, "type": "object", "properties": {"x": {"$ref": "other.json#/$defs/X"}}}
    b = build("external_ref", schema, files={"other.json": other})
    b.accepts({"x": {"n": 1}})
    b.rejects({"x": {}}, "$.x.n")
    b.rejects({"x": {"n": "1"}}, "$.x.n")


def test_recursive_reference(build: Build) -> None:
    node = {
        "type": "object",
        "properties": {
            "value": {"type": "integer"},
            "children": {"type": "array", "items": {"$ref": "#/definitions/Node"}},
        },
        "required": ["value"],
    }
    b = build("recursive", {"$schema": D7, "definitions": {"Node": node}, "$ref": "#/definitions/Node"})
    b.accepts({"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]})
    b.rejects({"value": 1, "children": [{"children": []}]}, "$.children[0].value")


def test_mutually_recursive_references(build: Build) -> None:
    a = {"type": "object", "properties": {"b": {"$ref": "#/definitions/B"}}}
    c = {"type": "object", "properties": {"a": {"$ref": "#/definitions/A"}, "n": {"type": "integer"}}}
    b = build("mutual", {"$schema": D7, "definitions": {"A": a, "B": c}, "$ref": "#/definitions/A"})
    b.accepts({"b": {"a": {"b": {"n": 1}}}})
    b.accepts({})
    b.rejects({"b": {"a": {"b": {"n": "x"}}}}, "$.b.a.b.n")


# --- the command line -------------------------------------------------------------------------------------------


SCRIPT = Path(sys.executable).parent / "retently-oauth-codegen"


def _cli(*args: str, cwd: Path = ROOT_DIR, script: bool = False) -> subprocess.CompletedProcess[str]:
    """`python -m codegen ...` from the checkout, or the installed `retently-oauth-codegen ...` elsewhere."""
    command = [str(SCRIPT)] if script else [sys.executable, "-m", "codegen"]
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


CANNOT = {
    "missing_ref": json.dumps({"type": "object", "properties": {"x": {"$ref": "#/definitions/Missing"}}}),
    "not_json": '{"type": "object", ',
}


@pytest.mark.parametrize("script", [False, True], ids=["python_m_codegen", "installed_command"])
@pytest.mark.parametrize("case", sorted(CANNOT))
def test_cli_cannot_generate_is_one_line_and_exit_2(tmp_path: Path, case: str, script: bool) -> None:
    schema = tmp_path / f"{case}.schema.json"
    schema.write_text(CANNOT[case])
    args = ("generate", "--schema", str(schema), "--out", str(tmp_path / "out"), "--package", "reg_cli")
    done = _cli(*args, script=script, cwd=ROOT_DIR if not script else tmp_path)
    assert done.returncode == 2, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr[-2000:]
    assert lines[0].startswith("error: ")
    assert "Traceback" not in done.stderr + done.stdout
    if case == "missing_ref":
        assert "Missing" in lines[0] or "/properties/x" in lines[0], lines[0]


def test_cli_generates_a_named_package(tmp_path: Path) -> None:
    schema = tmp_path / "cli.schema.json"
    schema.write_text(json.dumps(obj_schema({"x": {"type": "integer"}}, title="Thing")))
    done = _cli("generate", "--schema", str(schema), "--out", str(tmp_path / "out"), "--package", "reg_cli_ok")
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "out" / "reg_cli_ok" / "__init__.py").is_file()
    assert not (tmp_path / "out" / "retently_oauth_models").exists()


# --- codegen diff -----------------------------------------------------------------------------------------------

NARROWING: dict[str, tuple[Json, Json]] = {
    # keyword: (old property schema, new property schema); the new one accepts fewer documents
    "minLength": ({"type": "string"}, {"type": "string", "minLength": 2}),
    "maxLength": ({"type": "string", "maxLength": 10}, {"type": "string", "maxLength": 5}),
    "pattern": ({"type": "string"}, {"type": "string", "pattern": "^a"}),
    "exclusiveMinimum": ({"type": "number"}, {"type": "number", "exclusiveMinimum": 0}),
    "multipleOf": ({"type": "integer"}, {"type": "integer", "multipleOf": 2}),
    "maxItems": (
        {"type": "array", "items": {"type": "string"}},
        {"type": "array", "items": {"type": "string"}, "maxItems": 3},
    ),
    "uniqueItems": (
        {"type": "array", "items": {"type": "string"}},
        {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    ),
    "format": ({"type": "string"}, {"type": "string", "format": "email"}),
    "minItems": (
        {"type": "array", "items": {"type": "string"}},
        {"type": "array", "items": {"type": "string"}, "minItems": 1},
    ),
    "exclusiveMaximum": ({"type": "number", "exclusiveMaximum": 10}, {"type": "number", "exclusiveMaximum": 5}),
    "minimum": ({"type": "integer", "minimum": 0}, {"type": "integer", "minimum": 1}),
    "minProperties": ({"type": "object"}, {"type": "object", "minProperties": 1}),
    "maxProperties": ({"type": "object"}, {"type": "object", "maxProperties": 2}),
    "enum": ({"type": "string", "enum": ["a", "b"]}, {"type": "string", "enum": ["a"]}),
    "const": ({"type": "integer"}, {"type": "integer", "const": 1}),
}


def _diff(tmp_path: Path, old: Json, new: Json, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    from retently_oauth_codegen.cli import main

    paths = []
    for name, prop in (("old", old), ("new", new)):
        path = tmp_path / f"{name}.schema.json"
        path.write_text(json.dumps(obj_schema({"field": prop}, title="Doc")))
        paths.append(str(path))
    capsys.readouterr()
    code = main(["diff", *paths])
    return code, capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("keyword", sorted(NARROWING))
def test_diff_narrowing_a_constraint_is_breaking(
    keyword: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = NARROWING[keyword]
    code, lines = _diff(tmp_path, old, new, capsys)
    assert code == 1, lines
    assert any(line.startswith("BREAKING") and "field" in line.lower() for line in lines), lines


@pytest.mark.parametrize("keyword", sorted(NARROWING))
def test_diff_widening_a_constraint_is_compatible(
    keyword: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = NARROWING[keyword]
    code, lines = _diff(tmp_path, new, old, capsys)
    assert code == 0, lines
    assert any(line.startswith("compatible") and "field" in line.lower() for line in lines), lines


# --- the generated code type-checks -----------------------------------------------------------------------------


def test_mypy_strict_on_the_regression_packages(build: Build, tmp_path: Path) -> None:
    """One mypy --strict run over every package this module generated (non-scalar defaults used to fail it)."""
    built = [m for m in build.made.values() if isinstance(m, Built)]
    if not built:
        pytest.fail("no regression package was generated in this module run")
    dirs = [m.package_dir for m in built]
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\npython_version = 3.10\n")
    command = [sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir", str(tmp_path / "cache")]
    for d in dirs:
        command += ["-p", d.name]
    env = {**os.environ, "MYPYPATH": os.pathsep.join(str(d.parent) for d in dirs)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
