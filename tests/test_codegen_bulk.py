"""What the bulk-data speed work on the generated converter must keep true: structured lists are the package's
own (never the caller's list, in or out), an integral float read for a JSON Schema `integer` is stored as an int,
problems inside list items carry their full JSON path, and `make_converter(json="orjson")` reads and writes bytes
with the same hooks (skipped when orjson is not installed)."""

from __future__ import annotations

import importlib.util
import json
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
