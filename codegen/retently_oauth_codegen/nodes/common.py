"""Helpers the construct modules and the writer share."""

from __future__ import annotations

import io
import json
import math
import tokenize
from typing import Any

from ..ir import BUILDING_SCALARS, Node, Py, Schema


def py_literal(value: Any) -> str:
    """Python source for a JSON value."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, str)):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "None"
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(str(k))}: {py_literal(v)}" for k, v in value.items()) + "}"
    return "None"


def _rename(lines: list[str], mapping: dict[str, str]) -> list[str]:
    """The lines with the names in `mapping` replaced (names only: never inside a string literal)."""
    out = []
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(stripped).readline))
        except (tokenize.TokenError, IndentationError, SyntaxError):
            tokens = []
        for tok in reversed(tokens):
            if tok.type == tokenize.NAME and tok.string in mapping and tok.start[0] == 1:
                stripped = stripped[: tok.start[1]] + mapping[tok.string] + stripped[tok.end[1] :]
        out.append(indent + stripped)
    return out


def builds(py: Py, schema: Schema, seen: frozenset[str] = frozenset()) -> bool:
    """Whether the structured value differs from the JSON value (so unstructuring has work to do)."""
    if py.kind in ("class", "enum") or py.kind in BUILDING_SCALARS:
        return True
    if py.kind == "alias":
        if py.name in seen:
            return False
        node = schema.models[py.name].node
        assert node.own_py is not None
        return builds(node.own_py, schema, seen | {py.name})
    return any(builds(a, schema, seen) for a in py.args)


def _part(py: Py | None, kind: str) -> Py | None:
    """The `kind` (list or dict) representation in `py`, itself or a member of its union."""
    if py is None:
        return None
    if py.kind == kind:
        return py
    if py.kind == "union":
        return next((a for a in py.args if a.kind == kind), None)
    return None


def _isinstance_test(py: Py, schema: Schema, var: str = "X", seen: frozenset[str] = frozenset()) -> str | None:
    """A Python test that a structured value `var` is represented as `py` (None when no test tells it apart). An
    alias of a union (a union member that is itself a oneOf) is tested as any of its members that build."""
    if py.kind in ("class", "enum"):
        return f"type({var}) is {py.name}"
    if py.kind == "alias":
        if py.name in seen:
            return None
        node = schema.models[py.name].node
        assert node.own_py is not None
        return _isinstance_test(node.own_py, schema, var, seen | {py.name})
    if py.kind == "union":
        tests = [_isinstance_test(a, schema, var, seen) for a in py.args if builds(a, schema)]
        if not tests or any(t is None for t in tests):
            return None
        return "(" + " or ".join(t for t in tests if t is not None) + ")"
    return {
        "datetime": f"isinstance({var}, _datetime)",
        "date": f"type({var}) is _date",
        "uuid": f"isinstance({var}, _UUID)",
        "list": f"type({var}) is list",
        "dict": f"type({var}) is dict",
    }.get(py.kind)


def _all_props(node: Node) -> dict[str, Node]:
    props = dict(node.properties)
    for member in node.all_of:
        for k, v in _all_props(member.target()).items():
            props.setdefault(k, v)
    return props


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


SHOWN_VALUES = 10
"""How many allowed values a problem message lists before it counts the rest."""


def expected_one_of(values: Any) -> str:
    """`expected one of "a", "b", ...`: the first SHOWN_VALUES values, then how many there are (a schema may list
    hundreds: SPDX license ids)."""
    values = list(values)
    shown = ", ".join(_show(x) for x in values[:SHOWN_VALUES])
    if len(values) > SHOWN_VALUES:
        shown += f", ... ({len(values)} values)"
    return "expected one of " + shown


def _required(node: Node) -> list[str]:
    out = list(node.required)
    for member in node.all_of:
        out += [k for k in _required(member.target()) if k not in out]
    return out


def _consts(node: Node) -> tuple[Any, ...] | None:
    if node.has_const:
        return (node.const,)
    if node.enum is not None and len(node.enum) == 1:
        return tuple(node.enum)
    return None
