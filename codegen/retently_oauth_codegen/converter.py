"""Writes the converter module: one straight-line structure function and one unstructure function per schema node.

A structure function `_sN(v, path, problems)` checks every keyword of its node against the JSON value `v` (strict
JSON types, no coercion), records each problem with its JSON path (never the value), and returns the structured
value (a generated class instance, an enum member, a date-time, a list or dict of those, or the JSON value itself),
or `_INVALID`. Combinators (allOf, anyOf, oneOf, not, if/then/else) call member functions with a scratch list.
Runtime helpers are imported under `_`-prefixed names, so no generated class can shadow them.
"""

from __future__ import annotations

import io
import json
import math
import tokenize
from typing import Any

from .ir import BUILDING_SCALARS, Model, Node, Py, Schema
from .templates._runtime import child

_JSON_TYPE_TEST = {
    "object": "type(v) is dict",
    "array": "type(v) is list",
    "string": "type(v) is str",
    "boolean": "type(v) is bool",
    "null": "v is None",
}
_NOUN = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "boolean": "a boolean",
    "null": "null",
    "integer": "an integer",
    "number": "a number",
}


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


_SCALAR_TYPES = {"string", "integer", "number", "boolean", "null"}


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


class Writer:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.functions: list[str] = []
        self.constants: list[str] = []
        self.done: set[int] = set()
        self.udone: set[int] = set()
        self.queue: list[Node] = []
        self.uqueue: list[Node] = []
        self.patterns: dict[str, str] = {}
        self.sets: dict[tuple[Any, ...], str] = {}
        self.string_enums: set[str] = set()

    # -- helpers -------------------------------------------------------------------------------------------------

    def fn(self, node: Node) -> str:
        """The structure function of a node, queued for writing."""
        node = node.target()
        if node.boolean is True:
            return "_s_any"
        if node.boolean is False:
            return "_s_never"
        if id(node) not in self.done:
            self.done.add(id(node))
            self.queue.append(node)
        return node.fn

    def ufn(self, node: Node) -> str | None:
        node = node.target()
        assert node.own_py is not None
        if node.boolean is not None or not builds(node.own_py, self.schema):
            return None
        if id(node) not in self.udone:
            self.udone.add(id(node))
            self.uqueue.append(node)
        return node.ufn

    def pattern(self, text: str) -> str:
        if text not in self.patterns:
            name = f"_RE{len(self.patterns)}"
            self.patterns[text] = name
            self.constants.append(f"{name} = _re.compile({text!r})")
        return self.patterns[text]

    def const_set(self, values: tuple[Any, ...]) -> str:
        if values not in self.sets:
            name = f"_SET{len(self.sets)}"
            self.sets[values] = name
            self.constants.append(f"{name}: Any = frozenset(({py_literal(list(values))[1:-1]},))")
        return self.sets[values]

    # -- structure -----------------------------------------------------------------------------------------------

    def write_all(self) -> None:
        for model in self.schema.models.values():
            self.fn(model.node)
            self.ufn(model.node)
        while self.queue or self.uqueue:
            while self.queue:
                self.functions.append(self.structure(self.queue.pop(0)))
            while self.uqueue:
                self.functions.append(self.unstructure(self.uqueue.pop(0)))

    def inlinable(self, node: Node) -> bool:
        """A leaf of scalar checks, written into its parent's function instead of called."""
        n = node.target()
        if n.boolean is not None or n.ref is not None or n.types is None or not set(n.types) <= _SCALAR_TYPES:
            return False
        if n.all_of or n.any_of or n.one_of or n.not_ is not None or n.if_ is not None:
            return False
        if n.model is not None:
            values = n.enum or ()
            return n.model.kind == "enum" and bool(values) and all(type(x) is str for x in values) and not n.has_const
        return True

    def inline(self, node: Node, var: str, pexpr: str, target: str) -> list[str]:
        """Lines that check `var` against a leaf node and set `target` (to _INVALID, or anything, on a problem)."""
        n = node.target()
        if n.model is not None:  # a string enum
            message = "expected one of " + ", ".join(_show(x) for x in n.enum or ())
            lines = [
                f"{target} = _ENUMV_{n.model.name}.get({var}) if type({var}) is str else None",
                f"if {target} is None:",
                f"    problems.append(_Problem({pexpr}, {message!r}))",
                f"    {target} = _INVALID",
            ]
            self.string_enums.add(n.model.name)
            return lines
        body: list[str] = []
        if n.has_const:
            body += self._equal_check([n.const], "expected " + _show(n.const))
        if n.enum is not None:
            body += self._equal_check(list(n.enum), "expected one of " + ", ".join(_show(x) for x in n.enum))
        typed, result = self._typed(n, True)
        body += typed
        if result is None:
            body.append("r = v")
        return _rename(body, {"v": var, "path": pexpr, "r": target})

    def call(self, node: Node, var: str, pexpr: str, target: str, sink: str = "problems") -> list[str]:
        """Lines that structure `var` with a node's checks and set `target`: inline for leaves, else a call."""
        if sink == "problems" and self.inlinable(node):
            return self.inline(node, var, pexpr, target)
        return [f"{target} = {self.fn(node)}({var}, {pexpr}, {sink})"]

    def structure(self, n: Node) -> str:
        assert n.own_py is not None
        lines = [f"def {n.fn}(v: Any, path: str, problems: list[_Problem]) -> Any:"]
        body: list[str] = []
        result = "v"
        body.append("before = len(problems)")
        if n.has_const:
            body += self._equal_check([n.const], "expected " + _show(n.const))
        if n.enum is not None:
            body += self._equal_check(list(n.enum), "expected one of " + ", ".join(_show(x) for x in n.enum))
        if n.not_ is not None:
            body += [
                "scratch = []",
                f"{self.fn(n.not_)}(v, path, scratch)",
                "if not scratch:",
                '    problems.append(_Problem(path, "must not match the schema in not"))',
            ]
        if n.if_ is not None and (n.then is not None or n.else_ is not None):
            body += ["scratch = []", f"{self.fn(n.if_)}(v, path, scratch)"]
            body.append("if not scratch:")
            then = n.then
            body.append(f"    {self.fn(then)}(v, path, problems)" if then is not None else "    pass")
            if n.else_ is not None:
                body += ["else:", f"    {self.fn(n.else_)}(v, path, problems)"]
        if n.ref is not None and (not n.ref_only or n.model is not None):
            if n.source == "ref":
                body.append(f"r = {self.fn(n.ref)}(v, path, problems)")
                result = "r"
            else:
                body.append(f"{self.fn(n.ref)}(v, path, problems)")
        for member in n.all_of:
            if n.source == "allof" and member is n.builder:
                body.append(f"r = {self.fn(member)}(v, path, problems)")
                result = "r"
            else:
                body.append(f"{self.fn(member)}(v, path, problems)")
        if n.any_of:
            building = n.source == "union" and not n.one_of
            body += self._any_of(n, building)
            if building:
                result = "r"
        if n.one_of:
            building = n.source == "union"
            body += self._one_of(n, building)
            if building:
                result = "r"
        if n.source == "enum" and n.model is not None:
            body += [
                "if len(problems) == before and v is not None:",
                f"    r = _enum_member(_ENUM_{n.model.name}, {n.model.name}, v)",
                "else:",
                "    r = v",
            ]
            result = "r"
        typed = self._typed(n, n.source in ("types", "class"))
        body += typed[0]
        if typed[1] is not None:
            result = typed[1]
        text = "\n".join(body)
        declare = [f"{name}: Any" for name in ("r", "x", "y", "out", "tag") if f"{name} = " in text]
        for f in n.model.fields if n.model is not None and n.model.kind == "class" else ():
            if f"f_{f.name} = " in text:
                declare.append(f"f_{f.name}: Any")
        if "scratch = " in text:
            declare.append("scratch: list[_Problem] = []")
        if "best_score" in text:
            declare.append("score: int")
        if result != "v":
            declare = [d if d != "r: Any" else "r: Any = _INVALID" for d in declare]
        body = [*declare, *body]
        body += ["if len(problems) != before:", "    return _INVALID", f"return {result}"]
        return "\n".join(lines + ["    " + line for line in body])

    def _equal_check(self, values: list[Any], message: str) -> list[str]:
        if all(type(x) is str for x in values):
            return [
                f"if type(v) is not str or v not in {self.const_set(tuple(values))}:",
                f"    problems.append(_Problem(path, {message!r}))",
            ]
        return [
            f"if not _json_in(v, {py_literal(values)}):",
            f"    problems.append(_Problem(path, {message!r}))",
        ]

    def _any_of(self, n: Node, building: bool) -> list[str]:
        lines = ["matched = False"]
        for member in n.any_of:
            lines += [
                "if not matched:",
                "    scratch = []",
                f"    x = {self.fn(member)}(v, path, scratch)",
                "    if not scratch:",
                "        matched = True",
            ]
            if building:
                lines.append("        r = x")
        lines += ["if not matched:", '    problems.append(_Problem(path, "matches none of the anyOf schemas"))']
        return lines

    def _tag(self, n: Node) -> tuple[str, list[tuple[Any, int]]] | None:
        """A property whose constant value tells the oneOf members apart: (key, [(value, member index)])."""
        members = [m.target() for m in n.one_of]
        candidates: set[str] | None = None
        for m in members:
            keys = {k for k, p in _all_props(m).items() if _consts(p.target()) is not None}
            candidates = keys if candidates is None else candidates & keys
        ordered = sorted(candidates or ())
        if n.discriminator in ordered:
            ordered = [n.discriminator, *[k for k in ordered if k != n.discriminator]]
        for key in ordered:
            pairs = []
            for i, m in enumerate(members):
                for value in _consts(_all_props(m)[key].target()) or ():
                    pairs.append((value, i))
            values = [p[0] for p in pairs]
            if all(type(x) is str for x in values) and len(set(values)) == len(values):
                return key, pairs
        return None

    def _one_of(self, n: Node, building: bool) -> list[str]:
        lines = ["count = 0", "best: list[_Problem] | None = None", "best_score = -1", "tie = False"]
        names = ", ".join(dict.fromkeys(m.py.annotation() for m in n.one_of))
        unclear = f"matches no variant unambiguously: expected one of {names}"
        tag = self._tag(n)
        if tag is not None:
            key, pairs = tag
            lines.append(f"tag = v.get({key!r}, _MISSING) if type(v) is dict else _MISSING")
        for i, member in enumerate(n.one_of):
            lines += [
                "scratch = []",
                f"x = {self.fn(member)}(v, path, scratch)",
                "if not scratch:",
                "    count += 1",
            ]
            if building:
                lines.append("    r = x")
            score = [f"({k!r} in v)" for k in _required(member.target())]
            if tag is not None:
                score += [f"(1000 if tag == {value!r} else 0)" for value, j in pairs if j == i]
            expr = "(" + " + ".join(score) + ") if type(v) is dict else 0" if score else "0"
            lines += [
                "else:",
                f"    score = {expr}",
                "    if score > best_score:",
                "        best, best_score, tie = scratch, score, False",
                "    elif score == best_score:",
                "        tie = True",
            ]
        lines += ["if count == 0 and tie:", f"    problems.append(_Problem(path, {unclear!r}))", "elif count == 0:"]
        if tag is not None:
            key, pairs = tag
            values = tuple(p[0] for p in pairs)
            message = "expected one of " + ", ".join(_show(x) for x in values)
            lines += [
                f"    if tag is not _MISSING and tag not in {self.const_set(values)}:",
                f"        problems.append(_Problem(path + {child('', key)!r}, {message!r}))",
                "    else:",
                "        problems.extend(best or [_Problem(path, 'matches none of the oneOf schemas')])",
            ]
        else:
            lines.append("    problems.extend(best or [_Problem(path, 'matches none of the oneOf schemas')])")
        lines += [
            "elif count > 1:",
            '    problems.append(_Problem(path, "matches more than one of the oneOf schemas"))',
        ]
        return lines

    def _typed(self, n: Node, building: bool) -> tuple[list[str], str | None]:
        """The per-JSON-type checks; the result variable when this part builds the value."""
        lines: list[str] = []
        result: str | None = None
        allowed = n.types
        blocks: list[tuple[str, list[str]]] = []
        obj = self._object(n, building)
        if obj[0] or (allowed is not None and "object" in allowed):
            blocks.append(("type(v) is dict", obj[0]))
            if obj[1]:
                result = "r"
        arr = self._array(n, building)
        if arr[0] or (allowed is not None and "array" in allowed):
            blocks.append(("type(v) is list", arr[0]))
            if arr[1]:
                result = "r"
        s = self._string(n, building)
        if s[0] or (allowed is not None and "string" in allowed):
            blocks.append(("type(v) is str", s[0]))
            if s[1]:
                result = "r"
        num = self._number(n)
        int_ok = n.allows("integer")
        num_ok = n.allows("number") if allowed is None else "number" in allowed
        if allowed is None or int_ok or num_ok:
            if allowed is not None and not num_ok:
                if self.schema.strict_integers:
                    test = "type(v) is int"
                else:
                    test = "type(v) is int or (type(v) is float and v.is_integer())"
            else:
                test = "type(v) is int or type(v) is float"
            if num or allowed is not None:
                blocks.append((test, num))
        if allowed is not None:
            if "boolean" in allowed:
                blocks.append(("type(v) is bool", []))
            if "null" in allowed:
                blocks.append(("v is None", []))
        if result is not None:
            lines.append("r = v")
        if not blocks:
            return lines, result
        for i, (test, block) in enumerate(blocks):
            lines.append(f"{'if' if i == 0 else 'elif'} {test}:")
            lines += ["    " + line for line in block] or ["    pass"]
        if allowed is not None:
            shown = [t for t in allowed if t != "null"] or ["null"]
            expected = " or ".join(dict.fromkeys(_NOUN.get(t, t) for t in shown))
            lines += ["else:", f"    problems.append(_wrong(path, {expected!r}, v))"]
        return lines, result

    def _string(self, n: Node, building: bool) -> tuple[list[str], bool]:
        lines: list[str] = []
        checks: list[str] = []
        if n.min_length is not None:
            checks += [
                f"if len(v) < {n.min_length}:",
                f"    problems.append(_Problem(path, 'must be at least {n.min_length} characters long'))",
            ]
        if n.max_length is not None:
            checks += [
                f"if len(v) > {n.max_length}:",
                f"    problems.append(_Problem(path, 'must be at most {n.max_length} characters long'))",
            ]
        if n.min_length is not None and n.max_length is not None:  # one len() on the way that passes
            lines += [f"if not {n.min_length} <= len(v) <= {n.max_length}:", *("    " + c for c in checks)]
        else:
            lines += checks
        if n.pattern is not None:
            message = f"must match the pattern {n.pattern!r}"
            lines += [
                f"if {self.pattern(n.pattern)}.search(v) is None:",
                f"    problems.append(_Problem(path, {message!r}))",
            ]
        fmt = n.format
        py = n.own_py
        parse = building and py is not None and py.kind in ("datetime", "date", "uuid")
        parse = parse or (
            building and py is not None and py.kind == "union" and any(a.kind in BUILDING_SCALARS for a in py.args)
        )
        if fmt == "date-time" and parse:
            lines.append(f"r = _parse_datetime(v, path, problems, {n.accept_date!r})")
            return lines, True
        if fmt in ("date", "uuid") and parse:
            lines.append(f"r = _parse_{fmt}(v, path, problems)")
            return lines, True
        if fmt in _FORMATS:
            lines += [
                f"if not _FORMATS[{fmt!r}](v):",
                f"    problems.append(_Problem(path, 'expected a valid {fmt}'))",
            ]
        return lines, False

    def _number(self, n: Node) -> list[str]:
        lines: list[str] = []
        for value, op, message in (
            (n.minimum, "<", "must be >= {}"),
            (n.maximum, ">", "must be <= {}"),
            (n.exclusive_minimum, "<=", "must be > {}"),
            (n.exclusive_maximum, ">=", "must be < {}"),
        ):
            if value is not None:
                text = message.format(value)
                lines += [f"if v {op} {value!r}:", f"    problems.append(_Problem(path, {text!r}))"]
        if n.multiple_of is not None:
            lines += [
                f"if not _multiple_of(v, {n.multiple_of!r}):",
                f"    problems.append(_Problem(path, 'must be a multiple of {n.multiple_of}'))",
            ]
        return lines

    def _array(self, n: Node, building: bool) -> tuple[list[str], bool]:
        lines: list[str] = []
        if n.min_items is not None:
            lines += [
                f"if len(v) < {n.min_items}:",
                f"    problems.append(_Problem(path, 'must have at least {n.min_items} items'))",
            ]
        if n.max_items is not None:
            lines += [
                f"if len(v) > {n.max_items}:",
                f"    problems.append(_Problem(path, 'must have at most {n.max_items} items'))",
            ]
        if n.unique_items:
            lines += ["if not _unique(v):", "    problems.append(_Problem(path, 'items must be unique'))"]
        for i, item in enumerate(n.prefix_items):
            lines += [f"if len(v) > {i}:", f"    {self.fn(item)}(v[{i}], f'{{path}}[{i}]', problems)"]
        py = n.own_py
        item_builds = False
        if n.items is not None and n.items.target().boolean is not True:
            start = len(n.prefix_items)
            part = _part(py, "list")
            item_builds = building and part is not None and not n.prefix_items and builds(part.args[0], self.schema)
            if item_builds:
                item_lines = self.call(n.items, "x", "f'{path}[{i}]'", "y")
                lines += [
                    "out = []",
                    "for i, x in enumerate(v):",
                    *("    " + line for line in item_lines),
                    "    out.append(y)",
                    "r = out",
                ]
            elif not start and self.inlinable(n.items):
                lines += [
                    "for i, x in enumerate(v):",
                    *("    " + line for line in self.inline(n.items, "x", "f'{path}[{i}]'", "y")),
                ]
            elif start:
                lines += [
                    f"for i in range({start}, len(v)):",
                    f"    {self.fn(n.items)}(v[i], f'{{path}}[{{i}}]', problems)",
                ]
            else:
                lines += [
                    "for i, x in enumerate(v):",
                    f"    {self.fn(n.items)}(x, f'{{path}}[{{i}}]', problems)",
                ]
        if n.contains is not None:
            low = 1 if n.min_contains is None else n.min_contains
            lines += [
                "found = 0",
                "for x in v:",
                "    scratch = []",
                f"    {self.fn(n.contains)}(x, path, scratch)",
                "    if not scratch:",
                "        found += 1",
                f"if found < {low}:",
                f"    problems.append(_Problem(path, 'must contain at least {low} matching items'))",
            ]
            if n.max_contains is not None:
                lines += [
                    f"if found > {n.max_contains}:",
                    f"    problems.append(_Problem(path, 'must contain at most {n.max_contains} matching items'))",
                ]
        return lines, item_builds

    def _object(self, n: Node, building: bool) -> tuple[list[str], bool]:
        lines: list[str] = []
        model = n.model if (n.model is not None and n.model.kind == "class" and building) else None
        handled: set[str] = set()
        if model is not None:
            lines += self._class_fields(n, model)
            handled = {f.key for f in model.fields if f.own}
        for key in n.required:
            if key not in handled:
                lines += [
                    f"if {key!r} not in v:",
                    f"    problems.append(_Problem(path + {child('', key)!r}, 'required field missing'))",
                ]
        py = n.own_py
        part = _part(py, "dict")
        dict_builds = (
            model is None
            and building
            and part is not None
            and n.additional is not None
            and builds(part.args[0], self.schema)
        )
        for key, prop in n.properties.items():
            if key in handled or prop.target().boolean is True:
                continue
            lines += [
                f"x = v.get({key!r}, _MISSING)",
                "if x is not _MISSING:",
                f"    {self.fn(prop)}(x, path + {child('', key)!r}, problems)",
            ]
        additional = n.additional.target() if n.additional is not None else None
        check_extra = (additional is not None and additional.boolean is not True) or n.pattern_properties
        if dict_builds:
            assert n.additional is not None
            lines += [
                "out = {}",
                "for k, x in v.items():",
                f"    out[k] = {self.fn(n.additional)}(x, _child(path, k), problems)",
                "r = out",
            ]
        elif check_extra:
            keys = self.const_set(tuple(n.properties)) if n.properties else "()"
            lines += ["for k, x in v.items():"]
            inner: list[str] = []
            if n.pattern_properties:
                inner.append("matched = False")
                for pattern, pnode in n.pattern_properties:
                    inner += [
                        f"if {self.pattern(pattern)}.search(k) is not None:",
                        "    matched = True",
                        f"    {self.fn(pnode)}(x, _child(path, k), problems)",
                    ]
            if additional is not None and additional.boolean is False and not n.pattern_properties:
                lines[-1] = f"if not {keys}.issuperset(v):" if n.properties else "if v:"
                inner = [
                    "for k in v:",
                    f"    if k not in {keys}:",
                    "        problems.append(_Problem(_child(path, k), 'unknown field'))",
                ]
            elif additional is not None and additional.boolean is not True:
                cond = f"k not in {keys}" + (" and not matched" if n.pattern_properties else "")
                inner.append(f"if {cond}:")
                if additional.boolean is False:
                    inner.append("    problems.append(_Problem(_child(path, k), 'unknown field'))")
                else:
                    inner.append(f"    {self.fn(additional)}(x, _child(path, k), problems)")
            lines += ["    " + line for line in inner]
        if n.property_names is not None and n.property_names.target().boolean is not True:
            lines += ["for k in v:", f"    {self.fn(n.property_names)}(k, _child(path, k), problems)"]
        if n.min_properties is not None:
            lines += [
                f"if len(v) < {n.min_properties}:",
                f"    problems.append(_Problem(path, 'must have at least {n.min_properties} properties'))",
            ]
        if n.max_properties is not None:
            lines += [
                f"if len(v) > {n.max_properties}:",
                f"    problems.append(_Problem(path, 'must have at most {n.max_properties} properties'))",
            ]
        for key, needed in n.dependent_required.items():
            for other in needed:
                lines += [
                    f"if {key!r} in v and {other!r} not in v:",
                    f"    problems.append(_Problem(path + {child('', other)!r}, 'required field missing'))",
                ]
        for key, dep in n.dependent_schemas.items():
            lines += [f"if {key!r} in v:", f"    {self.fn(dep)}(v, path, problems)"]
        if model is not None:
            lines += self._class_build(n, model)
            return lines, True
        return lines, dict_builds

    def _class_fields(self, n: Node, model: Model) -> list[str]:
        lines: list[str] = []
        if any(f.default_source is not None or f.structured_default is not None for f in model.fields):
            lines.append("defaulted: list[str] = []")
        for f in model.fields:
            key_path = f"path + {child('', f.key)!r}"
            sink = "problems" if f.own else "[]"
            if f.required:  # try costs nothing in 3.11 when the key is there
                lines += ["try:", f"    x = v[{f.key!r}]", "except KeyError:"]
            else:
                lines += [f"x = v.get({f.key!r}, _MISSING)", "if x is _MISSING:"]
            if f.required:
                if f.key in n.required:
                    lines.append(f"    problems.append(_Problem({key_path}, 'required field missing'))")
                lines.append(f"    f_{f.name} = {'_INVALID' if f.key in n.required else 'None'}")
            elif f.default_source is not None:
                lines += [f"    f_{f.name} = {f.default_value}", f"    defaulted.append({f.name!r})"]
            elif f.structured_default is not None:
                lines += [
                    f"    f_{f.name} = {self.fn(f.node)}({f.structured_default}, {key_path}, [])",
                    f"    if f_{f.name} is _INVALID:",
                    f"        f_{f.name} = {'_UNSET' if f.nullable else 'None'}",
                    "    else:",
                    f"        defaulted.append({f.name!r})",
                ]
            elif f.nullable:
                lines.append(f"    f_{f.name} = _UNSET")
            else:
                lines.append(f"    f_{f.name} = None")
            if f.node.target().boolean is True:
                lines += ["else:", f"    f_{f.name} = x"]
            else:
                lines += ["else:", *("    " + line for line in self.call(f.node, "x", key_path, f"f_{f.name}", sink))]
        return lines

    def _class_build(self, n: Node, model: Model) -> list[str]:
        """The instance, built without the attrs __init__ (frozen classes set each slot through object.__setattr__
        there too; doing it here saves the keyword-argument call). Every slot is set: the classes have no validators,
        converters or post-init hooks."""
        lines = ["if len(problems) != before:", "    return _INVALID", f"r = _new({model.name})"]
        lines += [f'_setattr(r, "{f.name}", f_{f.name})' for f in model.fields]
        if model.extra:
            keys = self.const_set(tuple(f.key for f in model.fields)) if model.fields else "()"
            if model.fields:
                extra = f"{{}} if {keys}.issuperset(v) else {{k: x for k, x in v.items() if k not in {keys}}}"
            else:
                extra = "dict(v)"
            lines.append(f'_setattr(r, "additional_properties", {extra})')
        if any(f.default_source is not None or f.structured_default is not None for f in model.fields):
            lines.append('_setattr(r, "_defaulted", frozenset(defaulted))')
        lines.append("return r")
        return lines

    # -- unstructure ---------------------------------------------------------------------------------------------

    def dump(self, py: Py, expr: str, node: Node | None = None) -> str:
        if not builds(py, self.schema):
            return expr
        if py.kind == "class":
            return f"_u_{py.name}({expr})"
        if py.kind == "enum":
            return f"{expr}._value_"
        if py.kind == "alias":
            target = self.schema.models[py.name].node
            name = self.ufn(target)
            return expr if name is None else f"{name}({expr})"
        if py.kind == "datetime":
            return f"_format_datetime({expr})"
        if py.kind == "date":
            return f"{expr}.isoformat()"
        if py.kind == "uuid":
            return f"_format_uuid({expr})"
        if node is not None:
            name = self.ufn(node)
            if name is not None:
                return f"{name}({expr})"
        raise AssertionError(py)

    def unstructure(self, n: Node) -> str:
        py = n.own_py
        assert py is not None
        head = f"def {n.ufn}(o: Any) -> Any:"
        if n.model is not None and n.model.kind == "class":
            return self._unstructure_class(n, n.model)
        body: list[str] = []
        if py.kind == "list":
            item = self._item_node(n)
            body.append(f"return [{self.dump(py.args[0], 'x', item)} for x in o]")
        elif py.kind == "dict":
            body.append(f"return {{k: {self.dump(py.args[0], 'x', n.additional)} for k, x in o.items()}}")
        elif py.kind == "union":
            members = self._union_nodes(n)
            for arg in py.args:
                if not builds(arg, self.schema):
                    continue
                test = _isinstance_test(arg, self.schema)
                if test is None:
                    continue
                member = members.get(arg)
                if member is None and arg.kind == "list":  # the node's own `type: [array, ...]`
                    value = f"[{self.dump(arg.args[0], 'x', n.items)} for x in o]"
                elif member is None and arg.kind == "dict":
                    value = f"{{k: {self.dump(arg.args[0], 'x', n.additional)} for k, x in o.items()}}"
                else:
                    value = self.dump(arg, "o", member)
                body += [f"if {test.replace('X', 'o')}:", f"    return {value}"]
            body.append("return o")
        else:
            body.append(f"return {self.dump(py, 'o', None)}")
        return "\n".join([head, *("    " + line for line in body)])

    def _item_node(self, n: Node) -> Node | None:
        return n.items

    def _union_nodes(self, n: Node) -> dict[Py, Node]:
        out: dict[Py, Node] = {}
        for m in (*n.one_of, *n.any_of, *n.all_of, *([n.ref] if n.ref else [])):
            t = m.target()
            if t.own_py is not None:
                out.setdefault(m.py, t)
        return out

    def _unstructure_class(self, n: Node, m: Model) -> str:
        lines = [f"def _u_{m.name}(o: {m.name}) -> dict[str, Any]:", "    d: dict[str, Any] = {}", "    x: Any"]
        if n.types is None or set(n.types) - {"object"}:  # values of other JSON types are kept as they came
            lines = [f"def _u_{m.name}(o: Any) -> Any:", f"    if type(o) is not {m.name}:", "        return o"]
            lines += ["    d: dict[str, Any] = {}", "    x: Any"]
        for f in m.fields:
            value = self.dump(f.node.py, "x", f.node.target())
            if f.required:
                lines += [f"    x = o.{f.name}", f"    d[{f.key!r}] = {value}"]
                continue
            if f.default_source is not None:
                lines += [
                    f"    if {f.name!r} not in o._defaulted:",
                    f"        x = o.{f.name}",
                    f"        d[{f.key!r}] = {value}",
                ]
                continue
            absent = "_UNSET" if f.nullable else "None"
            if f.structured_default is not None:
                lines += [
                    f"    x = o.{f.name}",
                    f"    if x is not {absent} and {f.name!r} not in o._defaulted:",
                    f"        d[{f.key!r}] = {value}",
                ]
                continue
            lines += [f"    x = o.{f.name}", f"    if x is not {absent}:", f"        d[{f.key!r}] = {value}"]
        if m.extra:
            lines += [
                "    if o.additional_properties:",
                "        for k, x in o.additional_properties.items():",
                "            d.setdefault(k, x)",
            ]
        lines.append("    return d")
        return "\n".join(lines)


def _part(py: Py | None, kind: str) -> Py | None:
    """The `kind` (list or dict) representation in `py`, itself or a member of its union."""
    if py is None:
        return None
    if py.kind == kind:
        return py
    if py.kind == "union":
        return next((a for a in py.args if a.kind == kind), None)
    return None


def _isinstance_test(py: Py, schema: Schema) -> str | None:
    if py.kind in ("class", "enum"):
        return f"type(X) is {py.name}"
    if py.kind == "alias":
        node = schema.models[py.name].node
        assert node.own_py is not None
        return _isinstance_test(node.own_py, schema)
    return {
        "datetime": "isinstance(X, _datetime)",
        "date": "type(X) is _date",
        "uuid": "isinstance(X, _UUID)",
        "list": "type(X) is list",
        "dict": "type(X) is dict",
    }.get(py.kind)


def _all_props(node: Node) -> dict[str, Node]:
    props = dict(node.properties)
    for member in node.all_of:
        for k, v in _all_props(member.target()).items():
            props.setdefault(k, v)
    return props


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


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


_FORMATS = ("email", "uri", "ipv4", "ipv6", "date-time", "date", "time", "uuid")


def render(schema: Schema) -> dict[str, Any]:
    w = Writer(schema)
    w.write_all()
    return {
        "constants": "\n".join(w.constants),
        "functions": "\n\n\n".join(w.functions),
        "string_enums": w.string_enums,
    }
