"""Every corpus schema: generation succeeds and is byte-identical on a second run, the package imports, and its
verdicts agree with jsonschema's on documents drawn from the schema and on mutants of them."""

from __future__ import annotations

import importlib
import json
import traceback
from collections.abc import Callable
from enum import Enum
from typing import Any

import pytest

from .harness import (
    Entry,
    Generated,
    compare,
    documents_for,
    generate_cached,
    import_package,
    load_corpus,
    schema_file,
    validator_for,
)

CORPUS = load_corpus()
PARAMS = [pytest.param(e, id=e.id, marks=pytest.mark.xdist_group(e.id)) for e in CORPUS]
_GENERATED: dict[str, Generated | str] = {}


def generated(entry: Entry) -> Generated:
    """Generated once per worker (and cached on disk across workers and runs)."""
    if entry.id not in _GENERATED:
        try:
            _GENERATED[entry.id] = generate_cached(entry)
        except Exception as exc:  # reported as the test's failure
            last = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            _GENERATED[entry.id] = f"generation failed for {entry.source}:\n{last[:2000]}"
    result = _GENERATED[entry.id]
    if isinstance(result, str):
        pytest.fail(result, pytrace=False)
    return result


_ANNOTATIONS = {"$schema", "$id", "id", "title", "description", "definitions", "$defs", "$comment", "examples"}


def only_definitions(schema: Any) -> bool:
    return isinstance(schema, dict) and not set(schema) - _ANNOTATIONS


@pytest.mark.parametrize("entry", PARAMS)
def test_generates_reproducibly_and_imports(entry: Entry) -> None:
    result = generated(entry)
    assert result.identical, f"{entry.source}: a second run wrote different bytes in {result.difference}"
    package = import_package(result.directory, result.package)
    for name in ("ROOT", "make_converter", "DocumentError", "UNSET", "STRUCTURERS"):
        assert hasattr(package, name), f"{entry.source}: the package has no {name}"
    models = importlib.import_module(f"{result.package}.models")
    empty = [name for name, cls in vars(models).items() if _is_enum(cls) and not list(cls)]
    assert not empty, f"{entry.source}: enums without members (each reads every valid value as None): {empty}"


def _is_enum(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, Enum) and value is not Enum


@pytest.mark.parametrize("entry", PARAMS)
def test_agrees_with_jsonschema(entry: Entry, record_property: Callable[[str, Any], None]) -> None:
    result = generated(entry)
    package = import_package(result.directory, result.package)
    path = schema_file(entry)
    schema = json.loads(path.read_text(encoding="utf-8"))
    if getattr(package, "ROOT", None) is None:
        assert only_definitions(schema), f"{entry.source}: ROOT is None, but the root document has a schema"
        record_property("corpus_note", "root holds only definitions: no differential")
        return
    docs, why = documents_for(schema, entry.id, draw=entry.draw, seeds=entry.seeds, count=entry.count)
    if why:
        record_property("corpus_note", f"hypothesis-jsonschema: {why}; fallback documents used")
    outcome = compare(validator_for(path, schema), package, docs)
    if outcome.disagreements:
        shown = "\n".join(str(d) for d in outcome.disagreements[:6])
        pytest.fail(
            f"{entry.source} ({path}): {len(outcome.disagreements)} of {outcome.checked} documents disagree "
            f"with jsonschema:\n{shown}",
            pytrace=False,
        )


PAGES = ("airbyte_hubspot", "codecov", "citation_file_format")
"""Corpus schemas whose reference pages are checked (pages, links, examples): see tests/test_reference_pages.py."""


@pytest.mark.parametrize("entry", [p for p in PARAMS if p.id in PAGES])
def test_reference_pages(entry: Entry) -> None:
    from retently_oauth_codegen.generate import DOCS

    from ..test_reference_pages import check_pages

    result = generated(entry)
    check_pages(result.directory / DOCS, import_package(result.directory, result.package))
