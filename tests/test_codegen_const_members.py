"""A oneOf or anyOf whose members are each one `const` value (the "documented enum": each value with its own title
or description, as meltano's `value_post_processor` writes it). The generator made an Enum of it with no members,
and the converter read a valid value as None and dropped the key on write-back. Each test generates a minimal
schema and checks documents against `jsonschema`'s verdict: accepted documents structure to the value and
round-trip to equal JSON; rejected ones are a DocumentError at their path. And the guard: the generator refuses
to write an Enum without members."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from .corpus.harness import generate_package, import_package
from .test_codegen_regressions import D7, D2020, Builder

Json = Any


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Builder:
    return Builder(tmp_path_factory)


def _doc(p: Json) -> Json:
    return {"$schema": D7, "title": "Doc", "type": "object", "properties": {"p": p}}


def _value(obj: Any) -> Any:
    """The JSON value a structured field holds (an enum member's value, or the value itself)."""
    return obj.value if isinstance(obj, Enum) else obj


def test_one_of_const_strings(build: Builder) -> None:
    b = build("one_of_strings", _doc({"oneOf": [{"const": "a"}, {"const": "b"}]}))
    assert _value(b.accepts({"p": "a"}).p) == "a"
    assert _value(b.accepts({"p": "b"}).p) == "b"
    b.accepts({})
    b.rejects({"p": "zzz"}, "$.p")
    b.rejects({"p": 1}, "$.p")
    b.rejects({"p": None}, "$.p")


def test_any_of_const_strings(build: Builder) -> None:
    b = build("any_of_strings", _doc({"anyOf": [{"const": "a"}, {"const": "b"}, {"const": "c"}]}))
    assert _value(b.accepts({"p": "c"}).p) == "c"
    b.rejects({"p": "zzz"}, "$.p")


def test_one_of_const_integers(build: Builder) -> None:
    b = build("one_of_integers", _doc({"oneOf": [{"const": 1}, {"const": 2}, {"const": 30}]}))
    assert _value(b.accepts({"p": 30}).p) == 30
    b.accepts({"p": 1})
    b.rejects({"p": 3}, "$.p")
    b.rejects({"p": "1"}, "$.p")


def test_one_of_mixed_consts_with_null(build: Builder) -> None:
    b = build("mixed_null", _doc({"oneOf": [{"const": "auto"}, {"const": 5}, {"const": None}]}))
    assert _value(b.accepts({"p": "auto"}).p) == "auto"
    assert _value(b.accepts({"p": 5}).p) == 5
    b.accepts({"p": None})
    b.rejects({"p": "zzz"}, "$.p")
    b.rejects({"p": 6}, "$.p")


def test_any_of_true_and_one(build: Builder) -> None:
    """Python holds True == 1; JSON does not: both values stay themselves."""
    b = build("true_and_one", _doc({"anyOf": [{"const": True}, {"const": 1}]}))
    b.accepts({"p": True})
    b.accepts({"p": 1})
    b.rejects({"p": False}, "$.p")
    b.rejects({"p": 2}, "$.p")


def test_documented_enum_with_descriptions(build: Builder) -> None:
    """meltano's value_post_processor, as it is written."""
    members = [
        {"const": "nest_object", "description": "Convert a flat object with period-delimited keys to a nested object"},
        {"const": "upcase_string", "description": "Convert the setting value to uppercase"},
        {"const": "stringify", "description": "Convert the JSON object to a string"},
        {"const": "parse_date", "description": "Parse the setting value as a date"},
    ]
    b = build("documented", _doc({"oneOf": members}))
    for member in members:
        assert _value(b.accepts({"p": member["const"]}).p) == member["const"]
    b.rejects({"p": "zzz"}, "$.p")


def test_documented_enum_with_titles_and_a_type(build: Builder) -> None:
    members = [{"const": "low", "title": "Low"}, {"const": "high", "title": "High", "description": "Loud"}]
    b = build("titled", _doc({"type": "string", "anyOf": members}))
    assert _value(b.accepts({"p": "low"}).p) == "low"
    assert _value(b.accepts({"p": "high"}).p) == "high"
    b.rejects({"p": "mid"}, "$.p")
    b.rejects({"p": 1}, "$.p")


def test_in_an_array(build: Builder) -> None:
    b = build("in_array", _doc({"type": "array", "items": {"oneOf": [{"const": "x"}, {"const": "y"}]}}))
    obj = b.accepts({"p": ["x", "y", "x"]})
    assert [_value(v) for v in obj.p] == ["x", "y", "x"]
    b.rejects({"p": ["x", "zzz"]}, "$.p[1]")


def test_as_a_defs_alias(build: Builder) -> None:
    schema = {
        "$schema": D2020,
        "title": "Doc",
        "type": "object",
        "properties": {"p": {"$ref": "#/$defs/Level"}, "q": {"type": "array", "items": {"$ref": "#/$defs/Level"}}},
        "$defs": {"Level": {"oneOf": [{"const": "debug", "title": "Debug"}, {"const": "info", "title": "Info"}]}},
    }
    b = build("defs_alias", schema)
    assert _value(b.accepts({"p": "debug"}).p) == "debug"
    b.accepts({"p": "info", "q": ["debug", "info"]})
    b.rejects({"p": "warn"}, "$.p")
    b.rejects({"q": ["warn"]}, "$.q[0]")


def test_at_the_root(build: Builder) -> None:
    b = build("root", {"$schema": D7, "title": "Mode", "oneOf": [{"const": "on"}, {"const": "off"}]})
    assert _value(b.accepts("on")) == "on"
    assert _value(b.accepts("off")) == "off"
    b.rejects("zzz", "$")
    b.rejects({}, "$")


def test_members_that_are_not_all_consts(build: Builder) -> None:
    """One member is a pattern, not a value: whatever the generator makes of it keeps every valid value."""
    b = build("not_all_consts", _doc({"oneOf": [{"const": "a"}, {"type": "string", "pattern": "^x"}]}))
    assert _value(b.accepts({"p": "a"}).p) == "a"
    assert _value(b.accepts({"p": "xyz"}).p) == "xyz"
    b.rejects({"p": "b"}, "$.p")


# --- the guards ---------------------------------------------------------------------------------------------------


def test_the_generator_refuses_an_enum_without_members() -> None:
    from retently_oauth_codegen.capture import GenerationError
    from retently_oauth_codegen.ir import Model, Node
    from retently_oauth_codegen.models import _enum

    empty = Model("Level", "enum", Node(0, "s.json#/properties/level"), None)
    with pytest.raises(GenerationError, match=r"^s\.json#/properties/level: enum Level would have no members$"):
        _enum(empty)


def test_a_value_the_enum_lacks_is_a_problem_never_none(tmp_path: Path) -> None:
    """Should the Enum and the schema's checks ever disagree (here: a member removed from models.py), the value the
    checks accept is a DocumentError at its path, not None."""
    schema = tmp_path / "guard.schema.json"
    schema.write_text(json.dumps(_doc({"oneOf": [{"const": 1}, {"const": 2}]})), encoding="utf-8")
    package_dir = generate_package(schema, tmp_path / "out", "const_guard")
    models = package_dir / "models.py"
    text = models.read_text(encoding="utf-8")
    member = next(line for line in text.splitlines() if line.strip().endswith("= 2"))
    models.write_text(text.replace(member + "\n", ""), encoding="utf-8")
    pkg = import_package(tmp_path / "out", "const_guard")
    converter = pkg.make_converter()
    assert _value(converter.structure({"p": 1}, pkg.ROOT).p) == 1
    with pytest.raises(pkg.DocumentError) as caught:
        converter.structure({"p": 2}, pkg.ROOT)
    assert [p.path for p in caught.value.problems] == ["$.p"]


def test_a_value_not_listed_is_named_as_the_listed_values(build: Builder) -> None:
    b = build("named_one_of", _doc({"oneOf": [{"const": "a", "description": "A"}, {"const": "b"}]}))
    assert [str(p) for p in b.rejects({"p": "zzz"}).problems] == ['$.p: expected one of "a", "b"']
    b = build("named_any_of", _doc({"anyOf": [{"const": "a"}, {"const": "b"}, {"const": "c"}]}))
    assert [str(p) for p in b.rejects({"p": "zzz"}).problems] == ['$.p: expected one of "a", "b", "c"']


# --- a class made from an anyOf member that only lists required keys (readthedocs' `build`) -----------------------

_TOOLS = {"type": "object", "properties": {"python": {"enum": ["3.12", "latest"]}}, "additionalProperties": False}
_BUILD = {
    "type": "object",
    "required": ["os"],
    "properties": {
        "os": {"enum": ["ubuntu-22.04", "ubuntu-24.04"]},
        "tools": {**_TOOLS, "minProperties": 1},
        "commands": {"type": "array", "items": {"type": "string"}},
    },
    "anyOf": [{"required": ["tools"]}, {"required": ["commands"]}],
    "additionalProperties": False,
}


def test_required_only_members_agree_with_jsonschema(build: Builder) -> None:
    b = build("required_only", _doc(_BUILD))
    b.accepts({"p": {"os": "ubuntu-22.04", "tools": {"python": "3.12"}}})
    b.accepts({"p": {"os": "ubuntu-24.04", "commands": ["make"]}})
    b.accepts({"p": {"os": "ubuntu-24.04", "commands": ["make"], "tools": {"python": "latest"}}})
    b.rejects({"p": {"os": "ubuntu-22.04", "tools": {"python": "2"}}}, "$.p.tools.python")
    b.rejects({"p": {"os": "ubuntu-22.04", "tools": {}}}, "$.p.tools")
    b.rejects({"p": {"os": "ubuntu-22.04", "tools": 5}}, "$.p.tools")
    b.rejects({"p": {"os": "ubuntu-22.04", "commands": [1]}}, "$.p.commands[0]")
    b.rejects({"p": {"os": "ubuntu-20.04", "commands": ["make"]}}, "$.p.os")
    b.rejects({"p": {"os": "ubuntu-22.04"}}, "$.p")
    b.rejects({"p": {"os": "ubuntu-22.04", "commands": [], "other": 1}}, "$.p.other")


def test_required_only_members_type_their_fields_as_the_object_does(build: Builder) -> None:
    """The member class's fields are the outer object's properties: its enum, its class, its list of strings."""
    b = build("required_only", _doc(_BUILD))
    value = b.accepts({"p": {"os": "ubuntu-22.04", "tools": {"python": "3.12"}, "commands": ["make"]}}).p
    assert isinstance(value.os, Enum)
    assert not isinstance(value.tools, dict)
    assert _value(value.tools.python) == "3.12"


def test_a_required_only_member_referenced_by_two_objects(build: Builder) -> None:
    """Two objects that say different things of `tools` refer to one member: each holds `tools` to its own word."""
    member = [{"$ref": "#/definitions/T"}, {"required": ["other"]}]
    schema = {
        "$schema": D7,
        "title": "Doc",
        "type": "object",
        "properties": {
            "a": {"type": "object", "properties": {"tools": {"type": "string"}}, "anyOf": member},
            "b": {"type": "object", "properties": {"tools": {"type": "integer"}}, "anyOf": member},
        },
        "definitions": {"T": {"required": ["tools"]}},
    }
    b = build("shared_member", schema)
    b.accepts({"a": {"tools": "x"}, "b": {"tools": 1}})
    b.accepts({"a": {"other": 1}, "b": {"other": "x", "tools": 2}})
    b.rejects({"a": {"tools": 1}}, "$.a.tools")
    b.rejects({"b": {"tools": "x"}}, "$.b.tools")
    b.rejects({"b": {}}, "$.b")


def test_members_listing_values_with_enum_and_null(build: Builder) -> None:
    b = build("enum_members", _doc({"anyOf": [{"enum": ["a", "b"]}, {"const": "c", "title": "C"}]}))
    assert _value(b.accepts({"p": "b"}).p) == "b"
    assert _value(b.accepts({"p": "c"}).p) == "c"
    b.rejects({"p": "d"}, "$.p")
    b = build("null_member", _doc({"oneOf": [{"const": "a"}, {"const": "b"}, {"type": "null"}]}))
    assert _value(b.accepts({"p": "a"}).p) == "a"
    b.accepts({"p": None})
    b.rejects({"p": "c"}, "$.p")
