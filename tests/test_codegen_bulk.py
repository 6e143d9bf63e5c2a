"""What the bulk-data speed work on the generated converter must keep true: structured lists are the package's
own (never the caller's list, in or out), an integral float read for a JSON Schema `integer` is stored as an int,
problems inside list items carry their full JSON path, and `make_converter(json="orjson")` reads and writes bytes
with the same hooks. The fast path (a valid document read without problem bookkeeping) builds exactly what the full
path builds and never accepts what it refuses; `dumps` writes the same text as dumps(unstructure(obj))."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .corpus.harness import generate_package, import_package

D7 = "http://json-schema.org/draft-07/schema#"
D4 = "http://json-schema.org/draft-04/schema#"

SCHEMA: dict[str, Any] = {
    "$schema": D7,
    "title": "Page",
    "type": "object",
    "required": ["items"],
    "additionalProperties": False,
    "properties": {
        "items": {"type": "array", "items": {"$ref": "#/definitions/Item"}},
        "tags": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "counts": {"type": "array", "items": {"type": "integer"}},
        "anything": {"type": "array"},
        "total": {"type": "integer", "minimum": 0},
    },
    "definitions": {
        "Item": {
            "type": "object",
            "required": ["id", "when"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "integer"},
                "when": {"type": "string", "format": "date-time"},
                "kind": {"type": "string", "enum": ["a", "b"]},
                "grid": {"type": "array", "items": {"type": "array", "items": {"$ref": "#/definitions/Cell"}}},
            },
        },
        "Cell": {
            "type": "object",
            "required": ["n"],
            "additionalProperties": False,
            "properties": {"n": {"type": "integer"}},
        },
    },
}


def _package(tmp_path_factory: pytest.TempPathFactory, name: str, schema: dict[str, Any]) -> ModuleType:
    base = tmp_path_factory.mktemp(name)
    schema_path = base / f"{name}.schema.json"
    schema_path.write_text(json.dumps(schema), encoding="utf-8")
    generate_package(schema_path, base / "out", name)
    return import_package(Path(base / "out"), name)


@pytest.fixture(scope="module")
def pkg(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return _package(tmp_path_factory, "bulk_page", SCHEMA)


DOC: dict[str, Any] = {
    "items": [
        {"id": 1, "when": "2024-01-02T03:04:05Z", "kind": "a", "grid": [[{"n": 1}], [{"n": 2}, {"n": 3}]]},
        {"id": 2, "when": "2024-01-02T03:04:05.123+02:00"},
    ],
    "tags": ["x", "y"],
    "counts": [1, 2],
    "anything": [1, "two", None],
    "total": 3,
}


def test_structured_lists_are_not_the_callers_lists(pkg: ModuleType) -> None:
    converter = pkg.make_converter()
    doc = json.loads(json.dumps(DOC))
    page = converter.structure(doc, pkg.ROOT)
    for key in ("tags", "counts", "anything"):
        assert getattr(page, key) == doc[key]
        assert getattr(page, key) is not doc[key], key
    out = converter.unstructure(page, unstructure_as=pkg.ROOT)
    assert out == DOC
    for key in ("tags", "counts", "anything"):
        assert out[key] is not getattr(page, key), key
    doc["tags"].append("z")
    out["counts"].append(3)
    assert page.tags == ["x", "y"] and page.counts == [1, 2]


def test_an_integral_float_for_an_integer_is_stored_as_an_int(pkg: ModuleType) -> None:
    converter = pkg.make_converter()
    doc = {"items": [{"id": 7.0, "when": "2024-01-02T03:04:05Z"}], "counts": [1.0, 2], "total": 3.0}
    page = converter.structure(doc, pkg.ROOT)
    assert type(page.total) is int and page.total == 3
    assert type(page.items[0].id) is int and page.items[0].id == 7
    assert [type(x) for x in page.counts] == [int, int]
    assert converter.unstructure(page, unstructure_as=pkg.ROOT) == doc  # equal JSON: 3.0 == 3


def test_draft4_integers_stay_strict(tmp_path_factory: pytest.TempPathFactory) -> None:
    schema = {"$schema": D4, "title": "D4", "type": "object", "properties": {"n": {"type": "integer"}}}
    pkg = _package(tmp_path_factory, "bulk_d4", schema)
    with pytest.raises(pkg.DocumentError) as caught:
        pkg.make_converter().structure({"n": 1.0}, pkg.ROOT)
    assert [p.path for p in caught.value.problems] == ["$.n"]


def test_problems_inside_list_items_carry_their_full_path(pkg: ModuleType) -> None:
    doc = {
        "items": [
            {"id": 1, "when": "2024-01-02T03:04:05Z"},
            {"id": "x", "when": "yesterday", "grid": [[{"n": 1}], [{"n": 2}, {"m": 3}]]},
            {"id": 3},
        ],
        "tags": ["ok", ""],
    }
    with pytest.raises(pkg.DocumentError) as caught:
        pkg.make_converter().structure(doc, pkg.ROOT)
    assert sorted(p.path for p in caught.value.problems) == sorted(
        [
            "$.items[1].id",
            "$.items[1].when",
            "$.items[1].grid[1][1].n",
            "$.items[1].grid[1][1].m",
            "$.items[2].when",
            "$.tags[1]",
        ]
    )


def test_orjson_converter_reads_and_writes_bytes_with_the_same_hooks(pkg: ModuleType) -> None:
    assert importlib.util.find_spec("orjson") is not None, "the test extra installs orjson"
    converter = pkg.make_converter(json="orjson")
    payload = json.dumps(DOC).encode()
    page = converter.loads(payload, pkg.ROOT)
    assert page == pkg.make_converter().structure(DOC, pkg.ROOT)
    assert json.loads(converter.dumps(page, unstructure_as=pkg.ROOT)) == DOC
    with pytest.raises(pkg.DocumentError):
        converter.loads(b'{"items": [{"id": true}]}', pkg.ROOT)


def test_an_unknown_json_library_is_refused(pkg: ModuleType) -> None:
    with pytest.raises(ValueError, match="orjson"):
        pkg.make_converter(json="ujson")


# --- the fast path: a valid document read without problem bookkeeping, anything else by the full path ----------

FAST_SCHEMA: dict[str, Any] = {
    "$schema": D7,
    "title": "Batch",
    "type": "object",
    "required": ["records"],
    "additionalProperties": False,
    "properties": {
        "records": {"type": "array", "items": {"$ref": "#/definitions/Record"}, "maxItems": 50},
        "note": {"type": ["string", "null"], "maxLength": 5},
        "meta": {"$ref": "#/definitions/Meta"},
    },
    "definitions": {
        "Record": {
            "type": "object",
            "required": ["id", "kind", "when"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "integer", "minimum": 1, "maximum": 1000, "multipleOf": 1},
                "kind": {"type": "string", "enum": ["a", "b"]},
                "when": {"type": "string", "format": "date-time"},
                "day": {"type": "string", "format": "date"},
                "uid": {"type": "string", "format": "uuid"},
                "mail": {"type": "string", "format": "email", "minLength": 3},
                "code": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "const": {"const": "fixed"},
                "score": {"type": ["number", "null"], "exclusiveMinimum": 0, "exclusiveMaximum": 10},
                "flag": {"type": "boolean"},
                "ratio": {"type": "number", "multipleOf": 0.5},
                "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}, "minItems": 1},
                "cells": {"type": "array", "items": {"$ref": "#/definitions/Cell"}},
                "pairs": {"type": "array", "items": {"$ref": "#/definitions/Pair"}},
                "stamps": {"type": "array", "items": {"type": "string", "format": "date-time"}},
                "both": {"type": "string", "enum": ["a", "b"], "const": "a"},
                "parent": {"anyOf": [{"$ref": "#/definitions/Cell"}, {"type": "null"}]},
                "free": {},
                "since": {"type": ["string", "null"], "format": "date-time"},
            },
        },
        "Cell": {
            "type": "object",
            "required": ["n", "s"],
            "additionalProperties": False,
            "properties": {"n": {"type": "integer"}, "s": {"type": "string", "minLength": 1}},
        },
        "Pair": {
            "type": "object",
            "required": ["k"],
            "additionalProperties": False,
            "properties": {"k": {"type": "string"}, "v": {"type": ["integer", "null"]}},
        },
        "Meta": {"type": "object", "required": ["source", "ghost"], "properties": {"source": {"type": "string"}}},
    },
}

FAST_DOCS: list[dict[str, Any]] = [
    {"records": []},
    {"records": [{"id": 1, "kind": "a", "when": "2024-01-02T03:04:05Z"}], "note": None},
    {
        "records": [
            {
                "id": 1000,
                "kind": "b",
                "when": "2024-01-02T03:04:05.123456+02:00",
                "day": "2024-02-29",
                "uid": "12345678-1234-5678-1234-567812345678",
                "mail": "a@b",
                "code": "XY",
                "const": "fixed",
                "score": 9.5,
                "flag": False,
                "ratio": 1.5,
                "tags": ["x", "yz"],
                "cells": [{"n": 1, "s": "s"}, {"n": -2, "s": "t"}],
                "pairs": [{"k": "a"}, {"k": "b", "v": None}, {"k": "c", "v": 1}],
                "stamps": ["2024-01-02T03:04:05Z", "2024-01-02t03:04:05+01:00"],
                "both": "a",
                "parent": {"n": 3, "s": "p"},
                "free": {"deep": [1, {"x": None}]},
                "since": None,
            },
            {"id": 2, "kind": "a", "when": "2024-01-02t03:04:05z", "parent": None, "since": "2016-12-31T23:59:60Z"},
        ],
        "note": "hi",
        "meta": {"source": "x", "ghost": 1, "extra": {"kept": [1]}},
    },
    {"records": [{"id": 3.0, "kind": "a", "when": "2024-01-02T03:04:05.1Z", "score": 1}]},  # 3.0 is stored as 3
]


@pytest.fixture(scope="module")
def fast_pkg(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return _package(tmp_path_factory, "bulk_fast", FAST_SCHEMA)


def _full(pkg: ModuleType, doc: Any) -> tuple[Any, list[Any]]:
    _, function = pkg._converter.STRUCTURERS[pkg.ROOT]
    problems: list[Any] = []
    return function(doc, "$", problems), problems


def _attempt(fast: Any, doc: Any) -> tuple[bool, Any]:
    """(True, the value) when the fast path takes `doc`; (False, the exception) when it refuses it."""
    try:
        return True, fast(doc)
    except Exception as exc:  # any exception is a refusal: the hook then runs the full path
        return False, exc


def _fast(pkg: ModuleType) -> Any:
    _, function = pkg._converter.STRUCTURERS[pkg.ROOT]
    fast = pkg._converter._FAST.get(function)
    assert fast is not None, "the root class has a fast path"
    return fast


def test_the_fast_path_builds_what_the_full_path_builds(fast_pkg: ModuleType) -> None:
    fast = _fast(fast_pkg)
    converter = fast_pkg.make_converter()
    for doc in FAST_DOCS:
        full, problems = _full(fast_pkg, json.loads(json.dumps(doc)))
        assert not problems, doc
        took, quick = _attempt(fast, json.loads(json.dumps(doc)))
        if not took:  # it may leave a valid document to the full path (an integral float)
            continue
        assert quick == full, doc
        assert converter.unstructure(quick, unstructure_as=fast_pkg.ROOT) == converter.unstructure(
            full, unstructure_as=fast_pkg.ROOT
        )


def test_the_fast_path_reads_plain_documents(fast_pkg: ModuleType) -> None:
    """The first three documents are plain (no integral float, no leap second...): the fast path takes them, all
    but the lower-case and leap-second date-times, which it hands to the full reading in place."""
    fast = _fast(fast_pkg)
    for doc in FAST_DOCS[:3]:
        assert fast(json.loads(json.dumps(doc))) == _full(fast_pkg, doc)[0]


def test_the_fast_path_never_accepts_what_the_full_path_refuses(fast_pkg: ModuleType) -> None:
    import random

    from .corpus.harness import mutants

    fast = _fast(fast_pkg)
    tried = refused = 0
    for doc in FAST_DOCS:
        for seed in range(40):
            for _, mutant in mutants(doc, random.Random(seed)):
                tried += 1
                full, problems = _full(fast_pkg, json.loads(json.dumps(mutant)))
                took, quick = _attempt(fast, json.loads(json.dumps(mutant)))
                if not took:
                    refused += 1
                    continue
                assert not problems, f"the fast path accepts {mutant!r}, which has problems {problems}"
                assert quick == full, mutant
    assert refused > tried // 4, (tried, refused)  # the mutants were mostly invalid: the fast path refused them


def _with(change: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(FAST_DOCS[2]))
    change(doc)
    return doc


FAST_INVALID: list[dict[str, Any]] = [
    _with(lambda d: d["meta"].pop("ghost")),  # required, though not a property
    _with(lambda d: d["records"][0].__setitem__("both", "b")),  # in the enum, not the const
    _with(lambda d: d["records"][0].__setitem__("stamps", ["2024-13-02T03:04:05Z"])),
    _with(lambda d: d["records"][0].__setitem__("stamps", ["2024-01-02T03:04:05+05:60"])),
    _with(lambda d: d["records"][0]["pairs"][1].__setitem__("v", "x")),
    _with(lambda d: d["records"][0]["pairs"][1].__setitem__("w", 1)),
    _with(lambda d: d["records"][0].__setitem__("code", "xy")),
    _with(lambda d: d["records"][0].__setitem__("mail", "no-at-sign")),
    _with(lambda d: d["records"][0].__setitem__("day", "2023-02-29")),
    _with(lambda d: d["records"][0].__setitem__("uid", "not-a-uuid")),
    _with(lambda d: d["records"][0].__setitem__("ratio", 0.3)),
    _with(lambda d: d["records"][0].__setitem__("score", 10)),
    _with(lambda d: d["records"][0].__setitem__("id", True)),
    _with(lambda d: d["records"][0].__setitem__("tags", [])),
    _with(lambda d: d["records"][0].__setitem__("const", "other")),
    _with(lambda d: d["records"][0].__setitem__("kind", "c")),
    _with(lambda d: d["records"][0].__setitem__("parent", {"n": 1})),
    _with(lambda d: d["records"][0].__setitem__("flag", 0)),
    _with(lambda d: d.__setitem__("records", [{}] * 51)),
]


@pytest.mark.parametrize("doc", FAST_INVALID, ids=range(len(FAST_INVALID)))
def test_the_fast_path_refuses_each_kind_of_problem(fast_pkg: ModuleType, doc: dict[str, Any]) -> None:
    assert _full(fast_pkg, json.loads(json.dumps(doc)))[1], "the full path reports a problem"
    took, value = _attempt(_fast(fast_pkg), json.loads(json.dumps(doc)))
    assert not took, f"the fast path accepts it as {value!r}"


def test_every_problem_is_still_reported_with_its_path(fast_pkg: ModuleType) -> None:
    doc = json.loads(json.dumps(FAST_DOCS[2]))
    doc["records"][0]["id"] = 0
    doc["records"][0]["cells"][1]["s"] = ""
    doc["records"][1]["when"] = "yesterday"
    doc["note"] = "too long"
    with pytest.raises(fast_pkg.DocumentError) as caught:
        fast_pkg.make_converter(json="orjson").structure(doc, fast_pkg.ROOT)
    assert sorted(p.path for p in caught.value.problems) == [
        "$.note",
        "$.records[0].cells[1].s",
        "$.records[0].id",
        "$.records[1].when",
    ]


def test_mypy_strict_on_the_bulk_packages(pkg: ModuleType, fast_pkg: ModuleType, tmp_path: Path) -> None:
    """The generated fast and full paths type-check (python 3.10 rules, as the project supports)."""
    dirs = [Path(str(p.__file__)).parent for p in (pkg, fast_pkg)]
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\npython_version = 3.10\n")
    command = [sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir", str(tmp_path / "cache")]
    for d in dirs:
        command += ["-p", d.name]
    env = {**os.environ, "MYPYPATH": os.pathsep.join(str(d.parent) for d in dirs)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]


# --- dumps: each document object written as the encoder reaches it, the same text as dumps(unstructure(obj)) ----


@pytest.mark.parametrize("json_library", ["json", "orjson"])
def test_dumps_writes_what_unstructure_then_dumps_writes(
    pkg: ModuleType, fast_pkg: ModuleType, json_library: str
) -> None:
    import orjson

    encode = json.dumps if json_library == "json" else orjson.dumps
    for package, docs in ((pkg, [DOC]), (fast_pkg, FAST_DOCS)):
        converter = package.make_converter(json=json_library)
        for doc in docs:
            obj = converter.structure(json.loads(json.dumps(doc)), package.ROOT)
            expected = encode(converter.unstructure(obj, unstructure_as=package.ROOT))
            assert converter.dumps(obj, unstructure_as=package.ROOT) == expected
            assert converter.dumps(obj) == expected  # its own class
            assert json.loads(converter.dumps(obj)) == json.loads(json.dumps(converter.unstructure(obj)))


@pytest.mark.parametrize("json_library", ["json", "orjson"])
def test_dumps_writes_objects_made_in_python_as_unstructure_does(pkg: ModuleType, json_library: str) -> None:
    from datetime import datetime, timedelta, timezone

    converter = pkg.make_converter(json=json_library)
    item_type = type(converter.structure(DOC, pkg.ROOT).items[0])
    utc = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    other = datetime(2024, 1, 2, 3, 4, 5, 120000, tzinfo=timezone(timedelta(hours=2)))
    items = [item_type(id=1, when=utc), item_type(id=2, when=other)]
    page = converter.structure({"items": []}, pkg.ROOT)
    page = type(page)(items=items)
    written = json.loads(converter.dumps(page))
    assert written == converter.unstructure(page)
    assert [i["when"] for i in written["items"]] == ["2024-01-02T03:04:05Z", "2024-01-02T03:04:05.120000+02:00"]


@pytest.mark.parametrize("json_library", ["json", "orjson"])
def test_dumps_refuses_what_is_not_json_like_unstructure_then_dumps(pkg: ModuleType, json_library: str) -> None:
    converter = pkg.make_converter(json=json_library)
    page = converter.structure({"items": [], "anything": [1]}, pkg.ROOT)
    page = type(page)(items=[], anything=[object()])
    with pytest.raises(TypeError):
        converter.dumps(page)
