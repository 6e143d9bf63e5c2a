"""The converter's fast path: for each document type a function `_fN(v)` that structures a VALID document with no
problem bookkeeping (no paths, no problem list, no counting of problems) and raises on the first thing it does not
recognise as valid. The structure hook tries it first; on any exception it runs the full function, which decides and
names every problem with its JSON path. So the fast path may refuse what is valid (it then costs one extra try), but
it must never accept what the full path refuses, and must build exactly what the full path builds.

It is written for a whitelist of simple nodes, checked field by field against the IR: classes whose fields are their
own properties, strings (lengths, pattern, checked formats, date-times), integers, numbers, booleans, null, string
enums, lists of those, and references to them. A node with any other keyword (any `Node` field not listed here,
including keywords added to the IR later) gets the generic form: the full function with a scratch problem list."""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from .ir import BUILDING_SCALARS, Node
from .nodes.common import _part, _rename

if TYPE_CHECKING:
    from .converter import Writer

_FREE = {"index", "where", "description", "title", "has_default", "default", "secret", "model", "aliases"}
_FREE |= {"own_py", "source", "builder", "discriminator"}
_LEAF = {"types", "min_length", "max_length", "pattern", "format", "accept_date", "minimum", "maximum"}
_LEAF |= {"exclusive_minimum", "exclusive_maximum", "multiple_of", "enum", "has_const", "const"}
_ARRAY = {"types", "items", "min_items", "max_items"}
_OBJECT = {"types", "properties", "required", "additional"}
_DEFAULTS: dict[str, Any] = {}
for _f in dataclasses.fields(Node):
    if _f.default is not dataclasses.MISSING:
        _DEFAULTS[_f.name] = _f.default
    elif _f.default_factory is not dataclasses.MISSING:
        _DEFAULTS[_f.name] = _f.default_factory()
_CHECKED_FORMATS = ("email", "uri", "ipv4", "ipv6", "date", "time", "uuid")
_SCALARS = {"string", "integer", "number", "boolean", "null"}


def _only(n: Node, allowed: set[str]) -> bool:
    """Whether every keyword of `n` outside `allowed` has its default (unknown fields count as keywords)."""
    for f in dataclasses.fields(n):
        if f.name in _FREE or f.name in allowed:
            continue
        if f.name not in _DEFAULTS or getattr(n, f.name) != _DEFAULTS[f.name]:
            return False
    return True


class Fast:
    """Writes the fast functions; `fn(node)` names a node's fast function (queued), `functions` holds the code."""

    def __init__(self, w: Writer) -> None:
        self.w = w
        self.names: dict[int, str] = {}
        self.queue: list[Node] = []
        self.functions: list[str] = []
        self.specialized: set[str] = set()

    def fn(self, node: Node) -> str:
        n = node.target()
        if id(n) not in self.names:
            if n.boolean is not None:
                self.names[id(n)] = "_f_any" if n.boolean else "_f_never"
                return self.names[id(n)]
            self.names[id(n)] = "_f" + n.fn[2:]
            self.queue.append(n)
        return self.names[id(n)]

    def write_all(self) -> None:
        while self.queue:
            n = self.queue.pop(0)
            self.functions.append(self.function(n))

    # -- one node --------------------------------------------------------------------------------------------------

    def function(self, n: Node) -> str:
        name = self.names[id(n)]
        body = self.class_body(n) if self.is_class(n) else None
        if body is None and self.is_list(n):
            body = self.list_body(n)
        if body is None and self.is_leaf(n):
            lines = self.leaf(n, "v", "r")
            body = [*lines, "return r"] if lines is not None else None
        if body is None:  # the full function, bailing out on any problem
            body = ["p: list[_Problem] = []", f"r = {self.w.fn(n)}(v, '', p)", "if p:", "    raise _Bail", "return r"]
        else:
            self.specialized.add(name)
        text = "\n".join(body)
        assigned = dict.fromkeys(re.findall(r"^\s*(r|x|y|yr|yv|yx|yf_\w+) = ", text, re.MULTILINE))
        declare = [f"{var}: Any" for var in assigned if f"{var}: " not in text]
        return "\n".join([f"def {name}(v: Any) -> Any:", *("    " + line for line in [*declare, *body])])

    def is_leaf(self, n: Node) -> bool:
        if n.ref is not None or n.types is None or not set(n.types) <= _SCALARS or not _only(n, _LEAF):
            return False
        if n.model is not None and n.model.kind not in ("enum", "alias"):
            return False
        values = [*(n.enum or ()), *([n.const] if n.has_const else [])]
        if n.model is not None and n.model.kind == "enum":  # a string enum: its members by value, nothing else
            strings = bool(values) and all(type(x) is str for x in values) and set(n.types) <= {"string", "null"}
            return n.source == "enum" and strings and not n.has_const and _only(n, {"types", "enum"})
        return all(type(x) is str for x in values)

    def is_list(self, n: Node) -> bool:
        part = _part(n.own_py, "list")
        return (
            n.ref is None
            and (n.model is None or n.model.kind == "alias")
            and n.source == "types"
            and n.types is not None
            and set(n.types) <= {"array", "null"}
            and n.items is not None
            and n.items.target().boolean is None
            and part is not None
            and _only(n, _ARRAY)
        )

    def is_class(self, n: Node) -> bool:
        m = n.model
        if m is None or m.kind != "class" or n.source != "class" or n.ref is not None:
            return False
        if n.types is None or "object" not in n.types or not set(n.types) <= {"object", "null"}:
            return False
        if not _only(n, _OBJECT):
            return False
        keys = [f.key for f in m.fields]
        if len(set(keys)) != len(keys) or set(keys) != set(n.properties) or not set(n.required) <= set(keys):
            return False
        for f in m.fields:
            if not f.own or f.default_source is not None or f.structured_default is not None:
                return False
            if f.required != (f.key in n.required):
                return False
        additional = n.additional.target() if n.additional is not None else None
        if additional is not None and additional.boolean is None:
            return False  # extra keys with a schema of their own: the full function
        return m.extra == (additional is None or additional.boolean is True)

    # -- checks, written as "raise on anything else" ---------------------------------------------------------------

    def leaf(self, n: Node, var: str, target: str) -> list[str] | None:
        """Lines that check `var` against a leaf node and set `target` to its structured value (or raise)."""
        types = set(n.types or ())
        values = [*(n.enum or ()), *([n.const] if n.has_const else [])]
        if n.model is not None and n.model.kind == "enum":
            self.w.string_enums.add(n.model.name)
            return [f"{target} = _ENUMV_{n.model.name}[{var}]"]  # KeyError, or TypeError for an unhashable value
        branches: list[tuple[str, list[str]]] = []
        if "string" in types:
            checks = self.string_checks(n, var, target)
            if checks is None:
                return None
            branches.append((f"type({var}) is str", checks))
        if "integer" in types or "number" in types:
            # an integral float for an integer is left to the full function (it stores the int)
            test = f"type({var}) is int" if "number" not in types else f"type({var}) is int or type({var}) is float"
            branches.append((test, self.number_checks(n, var)))
        if "boolean" in types:
            branches.append((f"type({var}) is bool", []))
        if "null" in types:
            branches.append((f"{var} is None", []))
        lines: list[str] = []
        for listed in (n.enum, (n.const,) if n.has_const else None):  # string values only (is_leaf)
            if listed is not None:  # the value is one of them (so only the string branch is left)
                allowed = self.w.const_set(tuple(listed))
                lines += [f"if type({var}) is not str or {var} not in {allowed}:", "    raise _Bail"]
        if not any(body for _, body in branches) and values:
            return [*lines, f"{target} = {var}"]
        if len(branches) == 1:  # one JSON type: its test and its checks, not nested
            test, body = branches[0]
            negated = test.replace(" is ", " is not ") if " or " not in test else f"not ({test})"
            if _flat(body):  # plain checks: one test
                conditions = [negated, *(line[3:-1] for line in body[0::2])]
                keep = [f"{target} = {var}"] if target != var else []
                return [*lines, f"if {' or '.join(conditions)}:", "    raise _Bail", *keep]
            lines += [f"if {negated}:", "    raise _Bail", *body]
            if not _sets(body, target) and target != var:
                lines.append(f"{target} = {var}")
            return lines
        for i, (test, body) in enumerate(branches):
            lines.append(f"{'if' if i == 0 else 'elif'} {test}:")
            lines += ["    " + line for line in body] or ["    pass"]
        lines += ["else:", "    raise _Bail"]
        if not _sets(lines, target):
            if target != var:
                lines.append(f"{target} = {var}")
        else:  # a date-time sets the target in its branch; the other branches keep the value
            lines = [f"{target} = {var}", *lines]
        return lines

    def string_checks(self, n: Node, var: str, target: str) -> list[str] | None:
        lines: list[str] = []
        if n.min_length is not None and n.max_length is not None:
            lines += [f"if not {n.min_length} <= len({var}) <= {n.max_length}:", "    raise _Bail"]
        elif n.min_length is not None:
            lines += [f"if len({var}) < {n.min_length}:", "    raise _Bail"]
        elif n.max_length is not None:
            lines += [f"if len({var}) > {n.max_length}:", "    raise _Bail"]
        if n.pattern is not None:
            lines += [f"if {self.w.pattern(n.pattern)}.search({var}) is None:", "    raise _Bail"]
        py = n.own_py  # parsed into a Python value exactly where the full function parses it (nodes/strings.py)
        parse = py is not None and (
            py.kind in BUILDING_SCALARS or (py.kind == "union" and any(a.kind in BUILDING_SCALARS for a in py.args))
        )
        if n.format == "date-time" and parse:
            # not plain RFC 3339 text (or Python 3.10): the full reading, raising on a problem
            # plain RFC 3339 text on Python 3.11+: read here (a ValueError, as for a leap second, is a refusal);
            # any other text (or Python 3.10): the full reading, raising on a problem
            lines += [
                f"if _plain_date_time({var}) is None:",
                f"    {target} = _datetime_or_bail({var}, {n.accept_date!r})",
                "else:",
                f"    {target} = _DateTimeText(*_fromisoformat({var}).__reduce__()[1])",
                f"    {target}.text = {var}",
            ]
        elif n.format in ("date", "uuid") and parse:
            return None  # a date or UUID object: the full function
        elif n.format in _CHECKED_FORMATS or n.format == "date-time":
            lines += [f"if not _FORMATS[{n.format!r}]({var}):", "    raise _Bail"]
        return lines

    def number_checks(self, n: Node, var: str) -> list[str]:
        lines: list[str] = []
        for value, op in (
            (n.minimum, "<"),
            (n.maximum, ">"),
            (n.exclusive_minimum, "<="),
            (n.exclusive_maximum, ">="),
        ):
            if value is not None:
                lines += [f"if {var} {op} {value!r}:", "    raise _Bail"]
        if n.multiple_of is not None:
            lines += [f"if not _multiple_of({var}, {n.multiple_of!r}):", "    raise _Bail"]
        return lines

    def value(self, node: Node, var: str, target: str) -> list[str]:
        """Lines that structure `var` with a node (a field's or an item's) into `target`, or raise."""
        n = node.target()
        if n.boolean is True:
            return [f"{target} = _copy_json({var})"]
        if self.is_leaf(n):
            lines = self.leaf(n, var, target)
            if lines is not None:
                return lines
        if self.is_list(n) and n.types == ("array",) and n.min_items is None and n.max_items is None:
            assert n.items is not None
            item = n.items.target()
            checks = self.leaf(item, "y", "yv") if self.is_leaf(item) else None
            lines = [f"if type({var}) is not list:", "    raise _Bail"]
            inline = self.inline_class(item) if checks is None else None
            if inline is not None:  # a small class: its body in the loop, no call per item
                checks, built = inline, "yr"
            elif checks is None:
                return [*lines, f"{target} = [{self.fn(item)}(y) for y in {var}]"]
            else:
                built = "yv"
            loop = [f"for y in {var}:", *("    " + c for c in checks), f"    {target}.append({built})"]
            return [*lines, f"{target} = []", *loop]
        call = f"{target} = {self.fn(n)}({var})"
        if self.is_class(n) and n.types is not None and "null" in n.types:
            return [f"if {var} is None:", f"    {target} = None", "else:", f"    {call}"]
        return [call]

    def inline_class(self, n: Node) -> list[str] | None:
        """A class whose fields are all leaves, as lines structuring `y` into `yr` (names prefixed with `y`)."""
        if not self.is_class(n) or n.types != ("object",):
            return None
        m = n.model
        assert m is not None
        if len(m.fields) > 8 or not all(self.is_leaf(f.node.target()) for f in m.fields):
            return None
        body = self.class_body(n)
        if body is None:
            return None
        mapping = {"v": "y", "x": "yx", "r": "yr", "seen": "yseen"}
        mapping |= {f"f_{f.name}": f"yf_{f.name}" for f in m.fields}
        body = [line for line in body if line != "return r" and not line.endswith(": Any")]
        return _rename(body, mapping)

    def list_body(self, n: Node) -> list[str]:
        assert n.items is not None
        lines: list[str] = []
        nullable = n.types is not None and "null" in n.types
        if nullable:
            lines += ["if v is None:", "    return None"]
        lines += ["if type(v) is not list:", "    raise _Bail"]
        if n.min_items is not None:
            lines += [f"if len(v) < {n.min_items}:", "    raise _Bail"]
        if n.max_items is not None:
            lines += [f"if len(v) > {n.max_items}:", "    raise _Bail"]
        item = n.items.target()
        if self.is_leaf(item):
            checks = self.leaf(item, "x", "y")
            if checks is not None:
                lines += ["r = []", "for x in v:", *("    " + line for line in checks), "    r.append(y)", "return r"]
                return lines
        return [*lines, f"return [{self.fn(item)}(x) for x in v]"]

    def class_body(self, n: Node) -> list[str] | None:
        m = n.model
        assert m is not None
        w = self.w
        counted = m.extra or not all(f.required for f in m.fields)
        if counted:
            lines = ["if type(v) is not dict:", "    raise _Bail", f"seen = {sum(1 for f in m.fields if f.required)}"]
        else:  # required fields only: exactly that many keys
            lines = [f"if type(v) is not dict or len(v) != {len(m.fields)}:", "    raise _Bail"]
        for f in m.fields:
            local = f"f_{f.name}"
            lines.insert(0, f"{local}: Any")
            if f.required:
                lines.append(f"x = v[{f.key!r}]")  # a KeyError when it is missing
                lines += self.value(f.node, "x", local)
                continue
            absent = "_UNSET" if f.nullable else "None"
            lines += [f"x = v.get({f.key!r}, _MISSING)", "if x is _MISSING:", f"    {local} = {absent}", "else:"]
            lines += ["    seen += 1", *("    " + line for line in self.value(f.node, "x", local))]
        keys = w.const_set(tuple(f.key for f in m.fields)) if m.fields else "()"
        if not m.extra and counted:
            lines += ["if len(v) != seen:", "    raise _Bail"]
        lines.append(f"r = _new({m.name})")
        for i, f in enumerate(m.fields):
            lines.append(f"{w.slot_setter(m.name, i, f.name)}(r, f_{f.name})")
        if m.extra:
            extra = f"{{}} if len(v) == seen else _copy_json({{k: x for k, x in v.items() if k not in {keys}}})"
            lines.append(f'_setattr(r, "additional_properties", {extra})')
        lines.append("return r")
        return lines


def _flat(body: list[str]) -> bool:
    """Whether a branch is only `if COND:` / `raise _Bail` pairs (so it folds into one test)."""
    return (
        all(
            (i % 2 == 0 and line.startswith("if ") and line.endswith(":")) or (i % 2 == 1 and line == "    raise _Bail")
            for i, line in enumerate(body)
        )
        and len(body) % 2 == 0
    )


def _sets(lines: list[str], target: str) -> bool:
    """Whether any of the lines assigns `target` (at any indentation)."""
    return any(re.match(rf"\s*{re.escape(target)} = ", line) for line in lines)
