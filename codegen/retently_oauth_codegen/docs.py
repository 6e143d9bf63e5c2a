"""Writes Markdown reference pages from the IR: one page per generated class, enum and alias (unions among them),
plus an index. Each page has the schema's description, a Fields (or Members) table whose Type column speaks the
generated Python types with nested models linked to their pages, what the schema says beyond that (secrets,
constraints, defaults, const values, how a union's members are told apart) and a short JSON example that the
generated converter structures and writes back unchanged."""

from __future__ import annotations

import importlib
import json
import math
import re
from typing import Any

import jinja2

from .capture import TEMPLATES
from .ir import Model, Node, Py, Schema
from .models import prepare_fields
from .nodes.combinators import find_tag
from .nodes.common import _all_props, _consts, _required

__all__ = ["page_name", "render"]

_NO_EXAMPLE = object()
_MAX_DEPTH = 8
_FORMAT_EXAMPLES = {
    "date-time": "2024-01-02T03:04:05Z",
    "date": "2024-01-02",
    "time": "03:04:05Z",
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "url": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
}
_STRING_CANDIDATES = ("example", "Example", "a", "A", "0", "1", "abc", "ABC", "a1", "x-1", "https://example.com/")


def page_name(name: str) -> str:
    """The file name of a model's page (never the index's)."""
    return f"{name}_model.md" if name.lower() == "index" else f"{name}.md"


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell: pipes escaped, line breaks as `<br>`."""
    text = text.strip().replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("|", "\\|").replace("\n", "<br>")


def code(text: str) -> str:
    """An inline code span for any text (pipes still need escaping inside a table)."""
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- types -----------------------------------------------------------------------------------------------------


def _linked(py: Py) -> str:
    """Py.annotation() with every generated class, enum and alias linked to its page."""
    if py.kind in ("class", "enum", "alias"):
        return f"[{py.name}]({page_name(py.name)})"
    if py.kind == "list":
        return f"list\\[{_linked(py.args[0])}\\]"
    if py.kind == "dict":
        return f"dict\\[str, {_linked(py.args[0])}\\]"
    if py.kind == "union":
        if py.annotation() == "Any":
            return "Any"
        parts: list[tuple[str, str]] = []
        for arg in py.args:
            pair = (arg.annotation(), _linked(arg))
            if pair[0] not in [p[0] for p in parts]:
                parts.append(pair)
        parts = [p for p in parts if p[0] != "None"] + [p for p in parts if p[0] == "None"]
        return " | ".join(p[1] for p in parts)
    return _plain(py.annotation())


def _plain(text: str) -> str:
    """Text of a type outside links, with Markdown's active characters escaped."""
    return re.sub(r"([\\`*_\[\]<>#])", r"\\\1", text)


def _without_none(py: Py) -> Py:
    if py.kind == "union":
        rest = tuple(a for a in py.args if a.kind != "none")
        return Py("union", args=rest) if len(rest) > 1 else rest[0]
    return py


def field_type(f: Any) -> str:
    """A field's annotation as models.py writes it, linked (the same rules as `models._class`)."""
    py: Py = f.node.py
    if f.required or f.default_source is not None:
        return _linked(py)
    if f.nullable:
        if _without_none(py).annotation().startswith("Any"):
            return "Any"
        return f"{_linked(_without_none(py))} | Unset | None"
    if f"{py.annotation()} | None".startswith("Any"):
        return "Any"
    return f"{_linked(py)} | None"


# --- what the schema says beyond the type -----------------------------------------------------------------------


def _num(value: float) -> str:
    return _show(int(value)) if float(value).is_integer() and abs(value) < 2**53 else _show(value)


def constraints(node: Node, depth: int = 0) -> list[str]:
    """The node's validation keywords, in words (its model's or alias's page has the model's own)."""
    n = node.target()
    if n.model is not None or (depth > 0 and n.aliases) or depth > _MAX_DEPTH:
        return []
    out: list[str] = []
    if n.has_const:
        out.append(f"const {code(_show(n.const))}")
    elif n.enum is not None:
        out.append("one of " + ", ".join(code(_show(v)) for v in n.enum))
    if n.format is not None:
        out.append(f"format {code(n.format)}" + (" (a bare date is accepted on input)" if n.accept_date else ""))
    if n.min_length is not None:
        out.append(f"min length {n.min_length}")
    if n.max_length is not None:
        out.append(f"max length {n.max_length}")
    if n.pattern is not None:
        out.append(f"pattern {code(n.pattern)}")
    for label, value in (
        ("minimum", n.minimum),
        ("maximum", n.maximum),
        ("exclusive minimum", n.exclusive_minimum),
        ("exclusive maximum", n.exclusive_maximum),
        ("multiple of", n.multiple_of),
    ):
        if value is not None:
            out.append(f"{label} {_num(value)}")
    if n.min_items is not None:
        out.append(f"min items {n.min_items}")
    if n.max_items is not None:
        out.append(f"max items {n.max_items}")
    if n.unique_items:
        out.append("unique items")
    if n.items is not None:
        inner = constraints(n.items, depth + 1)
        if inner:
            out.append("items: " + ", ".join(inner))
    if n.contains is not None:
        least = 1 if n.min_contains is None else n.min_contains
        most = "" if n.max_contains is None else f", at most {n.max_contains}"
        out.append(f"at least {least}{most} items: " + _value(n.contains, depth))
    out += object_constraints(n, depth)
    return out


def _value(node: Node, depth: int) -> str:
    """What a value under a keyword must be: its type, then its constraints."""
    return ", ".join([_linked(node.py), *constraints(node, depth + 1)])


def object_constraints(n: Node, depth: int = 0, values: bool = True) -> list[str]:
    """What the schema says of an object's keys and values beyond its named properties (`values`: of the keys it
    does not name, too)."""
    out: list[str] = []
    if n.min_properties is not None:
        out.append(f"min properties {n.min_properties}")
    if n.max_properties is not None:
        out.append(f"max properties {n.max_properties}")
    for key, needed in n.dependent_required.items():
        if needed:
            out.append(f"{code(key)} requires " + ", ".join(code(k) for k in needed))
    if n.property_names is not None:
        inner = constraints(n.property_names, depth + 1)
        if inner:
            out.append("key names: " + ", ".join(inner))
    for pattern, node in n.pattern_properties:
        out.append(f"keys matching {code(pattern)}: " + _value(node, depth))
    if values and n.additional is not None:
        rest = n.additional.target()
        if rest.boolean is False:
            out.append("no other keys")
        elif rest.boolean is None and (n.properties or n.pattern_properties or constraints(rest, depth + 1)):
            said = _value(rest, depth)  # a plain map's value type is its Type's (`dict[str, X]`)
            if said != "Any":
                out.append(("values of other keys: " if n.properties or n.pattern_properties else "values: ") + said)
    return out


def field_details(m: Model, f: Any) -> str:
    notes: list[str] = []
    if f.key != f.name:
        notes.append(f"JSON key {code(f.key)}")
    if f.secret:
        notes.append("**secret**: masked in repr and logs")
    node = f.node
    target = node.target()
    if node.has_default or target.has_default:
        value = node.default if node.has_default else target.default
        notes.append(f"default {code(_show(value))} (left out on writing when the document left it out)")
    elif not f.required and f.default_source is None and f.structured_default is None:
        notes.append("absent: `UNSET`; `null`: `None`" if f.nullable else "absent: `None` (`null` is refused)")
    notes += constraints(node)
    if target.model is None and not target.aliases and (target.one_of or target.any_of):
        how, rows = union_members(target)
        notes.append(how.rstrip(".") + ": " + "; ".join(f"{member}: {told}" for member, told in rows if told))
    if not f.own:
        notes.append("inherited through `allOf`")
    return cell("; ".join(notes))


def description(node: Node) -> str:
    """The property's own description, else that of the definition it `$ref`s: the field's docstring in models.py."""
    return node.description or node.target().description or ""


# --- examples --------------------------------------------------------------------------------------------------


def _from_pattern(pattern: str) -> str | None:
    """A short string the regular expression matches, built from its parse tree (None for what this cannot
    spell: lookarounds, backreferences, unknown opcodes)."""
    try:
        parser: Any = importlib.import_module("re._parser")
    except ImportError:  # Python 3.10
        parser = importlib.import_module("sre_parse")
    try:
        tree = parser.parse(pattern)
    except Exception:
        return None
    categories = {"CATEGORY_DIGIT": "0", "CATEGORY_WORD": "a", "CATEGORY_SPACE": " ", "CATEGORY_NOT_DIGIT": "a"}
    categories |= {"CATEGORY_NOT_WORD": "-", "CATEGORY_NOT_SPACE": "a"}

    def spell(items: Any, depth: int) -> str | None:
        if depth > 20:
            return None
        out = ""
        for op, arg in items:
            name = str(op)
            if name == "LITERAL":
                out += chr(arg)
            elif name == "ANY":
                out += "a"
            elif name == "NOT_LITERAL":
                out += "a" if chr(arg) != "a" else "b"
            elif name == "AT":
                continue
            elif name == "IN":
                chosen = None
                if arg and str(arg[0][0]) == "NEGATE":
                    chosen = next((c for c in "a0-_ .xZ" if not _in_class(arg[1:], c)), None)
                else:
                    first_op, first = arg[0]
                    if str(first_op) == "LITERAL":
                        chosen = chr(first)
                    elif str(first_op) == "RANGE":
                        chosen = chr(first[0])
                    elif str(first_op) == "CATEGORY":
                        chosen = categories.get(str(first))
                if chosen is None:
                    return None
                out += chosen
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                low, _high, body = arg
                part = spell(body, depth + 1)
                if part is None:
                    return None
                out += part * (low if low > 0 else min(_high, 1))
            elif name == "SUBPATTERN":
                part = spell(arg[-1], depth + 1)
                if part is None:
                    return None
                out += part
            elif name == "BRANCH":
                part = spell(arg[1][0], depth + 1)
                if part is None:
                    return None
                out += part
            elif name == "CATEGORY":
                out += categories.get(str(arg), "a")
            else:
                return None
        return out

    text = spell(tree, 0)
    return text if text is not None and re.search(pattern, text) is not None else None


def _in_class(items: Any, char: str) -> bool:
    """Whether `char` is in a character class's parsed items (categories: by their regular expression)."""
    spelled = {"CATEGORY_DIGIT": r"\d", "CATEGORY_WORD": r"\w", "CATEGORY_SPACE": r"\s"}
    spelled |= {"CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_NOT_WORD": r"\W", "CATEGORY_NOT_SPACE": r"\S"}
    for op, arg in items:
        name = str(op)
        if name == "LITERAL" and chr(arg) == char:
            return True
        if name == "RANGE" and arg[0] <= ord(char) <= arg[1]:
            return True
        if name == "CATEGORY" and re.fullmatch(spelled.get(str(arg), "."), char):
            return True
    return False


def _string(n: Node) -> Any:
    if n.format in _FORMAT_EXAMPLES:
        text = _FORMAT_EXAMPLES[n.format]
        if n.pattern is None:
            return text
        try:
            if re.search(n.pattern, text) is not None:
                return text
        except re.error:
            return _NO_EXAMPLE
    low = n.min_length or 0
    high = n.max_length if n.max_length is not None else max(low, 1000)
    for candidate in _STRING_CANDIDATES:
        text = (candidate * (low // max(len(candidate), 1) + 1))[: max(low, min(len(candidate), high))]
        if not low <= len(text) <= high:
            continue
        if n.pattern is not None:
            try:
                if re.search(n.pattern, text) is None:
                    continue
            except re.error:
                return _NO_EXAMPLE
        return text
    spelled = _from_pattern(n.pattern) if n.pattern is not None else None
    if spelled is not None and low <= len(spelled) <= high:
        return spelled
    return _NO_EXAMPLE


def _number(n: Node, integer: bool) -> Any:
    low = -math.inf
    high = math.inf
    if n.minimum is not None:
        low = n.minimum
    if n.exclusive_minimum is not None:
        low = max(low, n.exclusive_minimum + (1 if integer else 0.5))
    if n.maximum is not None:
        high = n.maximum
    if n.exclusive_maximum is not None:
        high = min(high, n.exclusive_maximum - (1 if integer else 0.5))
    value: float = 1
    if value < low:
        value = math.ceil(low)
    if value > high:
        value = math.floor(high)
    if n.multiple_of:
        value = math.ceil(value / n.multiple_of) * n.multiple_of
        if float(value).is_integer():
            value = int(value)
    if not low <= value <= high:
        return _NO_EXAMPLE
    return int(value) if float(value).is_integer() else value


def example(node: Node, depth: int = 0, full: bool = False) -> Any:
    """A small JSON value the node accepts, or _NO_EXAMPLE. `full`: an object names its optional properties too
    (those with an example of their own); nested objects name only their required and constant ones."""
    if depth > _MAX_DEPTH:
        return _NO_EXAMPLE
    n = node.target()
    if n.boolean is not None:
        return "value" if n.boolean else _NO_EXAMPLE
    if n.has_const:
        return n.const
    if n.enum is not None:
        return n.enum[0] if n.enum else _NO_EXAMPLE
    if n.not_ is not None or n.if_ is not None:
        return _NO_EXAMPLE
    members = n.one_of or n.any_of
    if members:
        for member in sorted(members, key=_is_null):  # a null member last: the example shows a value
            value = _described(example(member, depth + 1), member.target(), _all_props(n), depth)
            if n.one_of:
                value = _only_this_member(value, member, members, depth)
            if value is not _NO_EXAMPLE and _of_types(value, n.types):
                return _merge(value, _object(n, depth)) if n.properties or n.required else value
        return _NO_EXAMPLE
    if n.all_of or n.ref is not None:
        every = (*n.all_of, *([n.ref] if n.ref is not None else []))
        constraining = [m for m in every if not _unconstrained(m)]  # an annotation-only part accepts any example
        parts = [example(m, depth + 1) for m in (constraining or every)]
        if any(p is _NO_EXAMPLE for p in parts):
            return _NO_EXAMPLE
        if all(isinstance(p, dict) for p in parts):
            merged: dict[str, Any] = {}
            for p in parts:
                merged.update(p)
            own = _object(n, depth, full) if (n.properties or n.required) else {}
            return _merge(merged, own)
        return parts[0] if parts else _NO_EXAMPLE
    types = n.types
    if types is None:
        return _object(n, depth, full) if _objectish(n) else "value"
    for t in sorted(types, key=lambda t: t == "null"):
        if t == "object":
            return _object(n, depth, full)
        if t == "string":
            return _string(n)
        if t in ("integer", "number"):
            return _number(n, t == "integer")
        if t == "boolean":
            return True
        if t == "null":
            return None
        if t == "array":
            return _array(n, depth)
    return _NO_EXAMPLE


def _described(value: Any, member: Node, props: dict[str, Node], depth: int) -> Any:
    """A member's example, where the keys it names without describing them (`{"required": ["a"]}` in an `anyOf`)
    take values the enclosing object's properties describe."""
    if not isinstance(value, dict) or not props:
        return value
    own = _all_props(member)
    out = dict(value)
    for key in value:
        if key not in own and key in props:
            out[key] = example(props[key], depth + 1)
            if out[key] is _NO_EXAMPLE:
                return _NO_EXAMPLE
    return out


def _unconstrained(node: Node) -> bool:
    """Whether a schema accepts every value (`{}`, or only annotations such as a description)."""
    t = node.target()
    return (
        t.types is None
        and t.boolean is None
        and t.enum is None
        and not t.has_const
        and not _objectish(t)
        and not (t.all_of or t.any_of or t.one_of or t.ref is not None or t.not_ is not None or t.if_ is not None)
        and t.items is None
        and not t.prefix_items
        and t.contains is None
        and all(
            v is None for v in (t.min_length, t.max_length, t.pattern, t.format, t.minimum, t.maximum, t.multiple_of)
        )
        and all(v is None for v in (t.exclusive_minimum, t.exclusive_maximum, t.min_items, t.max_items))
    )


def _of_types(value: Any, types: tuple[str, ...] | None) -> bool:
    """Whether a JSON value has one of the types (`type` beside `anyOf`/`oneOf` holds for the member's value too)."""
    if types is None:
        return True
    if isinstance(value, bool):
        kind = "boolean"
    elif isinstance(value, int):
        kind = "integer"
    else:
        kind = {dict: "object", list: "array", str: "string", float: "number", type(None): "null"}.get(type(value), "")
    return kind in types or (kind == "integer" and "number" in types)


def _only_this_member(value: Any, member: Node, members: tuple[Node, ...], depth: int) -> Any:
    """A `oneOf` member's object example that names none of its keys (`{}`, which every member without required keys
    accepts), given the first of its properties that no other member names, with its example."""
    if value != {} or not isinstance(value, dict):
        return value
    others = {key for m in members if m is not member for key in _all_props(m.target())}
    for key, prop in _all_props(member.target()).items():
        if key not in others:
            shown = example(prop, depth + 1)
            if shown is not _NO_EXAMPLE:
                return {key: shown}
    return value


def _class_example(m: Model, schema: Schema) -> Any:
    """A class's example: its node's, with every field the node itself does not describe (one of the object whose
    `anyOf`/`oneOf` member the class is) given the value that object's property describes, required ones added."""
    value = example(m.node, full=True)
    if not isinstance(value, dict):
        return value
    own = _all_props(m.node.target())
    enclosing: dict[str, Node] = {}
    for node in schema.nodes:
        if any(member is m.node for member in (*node.any_of, *node.one_of)):
            enclosing = _all_props(node)
            break
    out = dict(value)
    for f in m.fields:
        if f.key in own or not (f.required or f.key in out):
            continue
        out[f.key] = example(enclosing.get(f.key, f.node), 1)
        if out[f.key] is _NO_EXAMPLE:
            return _NO_EXAMPLE
    return out


def _objectish(n: Node) -> bool:
    """Whether a node without `type` speaks only of objects' keys (an object is then the example it accepts)."""
    return bool(n.properties or n.required or n.pattern_properties or n.dependent_required) or any(
        v is not None for v in (n.additional, n.property_names, n.min_properties, n.unevaluated_properties)
    )


def _is_null(node: Node) -> bool:
    t = node.target()
    return t.types == ("null",) or (t.has_const and t.const is None)


def _merge(a: Any, b: Any) -> Any:
    if a is _NO_EXAMPLE or b is _NO_EXAMPLE:
        return _NO_EXAMPLE
    if isinstance(a, dict) and isinstance(b, dict):
        return {**a, **b}
    return a


def _array(n: Node, depth: int) -> Any:
    out = []
    for item in n.prefix_items:
        value = example(item, depth + 1)
        if value is _NO_EXAMPLE:
            return _NO_EXAMPLE
        out.append(value)
    count = max(n.min_items or 0, 1 if n.items is not None and not n.prefix_items and depth < 3 else 0)
    if n.unique_items and count > 1:
        return _NO_EXAMPLE
    while len(out) < count:
        if n.items is None:
            out.append("value")
            continue
        value = example(n.items, depth + 1)
        if value is _NO_EXAMPLE:
            return [] if not out and not n.min_items and not n.prefix_items else _NO_EXAMPLE
        out.append(value)
    if n.max_items is not None and len(out) > n.max_items:
        return _NO_EXAMPLE
    return out


def _object(n: Node, depth: int, full: bool = False) -> Any:
    props = _all_props(n)
    keys = list(_required(n))
    keys += [k for k, p in props.items() if k not in keys and _consts(p.target()) is not None]
    out: dict[str, Any] = {}
    for key in keys:
        prop = props.get(key)
        if prop is None:
            value: Any = "value"
            if n.additional is not None:
                value = example(n.additional, depth + 1)
        else:
            value = example(prop, depth + 1)
        if value is _NO_EXAMPLE:
            return _NO_EXAMPLE
        out[key] = value
    if n.min_properties is not None and len(out) < n.min_properties:
        for key, prop in props.items():
            if len(out) >= n.min_properties:
                break
            if key not in out:
                value = example(prop, depth + 1)
                if value is _NO_EXAMPLE:
                    return _NO_EXAMPLE
                out[key] = value
        if len(out) < n.min_properties:
            return _NO_EXAMPLE
    if full and not n.dependent_required and not n.dependent_schemas and n.max_properties is None:
        for key, prop in props.items():
            if key not in out:
                value = example(prop, depth + 1)
                if value is not _NO_EXAMPLE:
                    out[key] = value
    for key, needed in n.dependent_required.items():
        if key in out and any(k not in out for k in needed):
            return _NO_EXAMPLE
    return out


def example_json(node: Node, schema: Schema) -> str | None:
    value = (
        _class_example(node.model, schema)
        if node.model is not None and node.model.kind == "class"
        else example(node, full=True)
    )
    if value is _NO_EXAMPLE:
        return None
    return json.dumps(value, indent=2, ensure_ascii=False)


# --- unions ------------------------------------------------------------------------------------------------------


def union_members(n: Node) -> tuple[str, list[tuple[str, str]]]:
    """How a union is read, and each member (linked type, how it is told apart)."""
    members = n.one_of or n.any_of
    rows: list[tuple[str, str]] = []
    tag = find_tag(None, n) if n.one_of else None  # type: ignore[arg-type]
    if n.one_of:
        how = "`oneOf`: a document matches exactly one member."
        if tag is not None:
            how += f" The member is told apart by {code(tag[0])}."
        else:
            how += " When none matches, the problems reported are those of the member whose required keys are present."
    else:
        how = "`anyOf`: a document matches at least one member; the first that matches, in this order, is used."
    for i, member in enumerate(members):
        t = member.target()
        notes: list[str] = []
        if tag is not None:
            values = [v for v, j in tag[1] if j == i]
            notes += [f"{code(tag[0])} is {code(_show(v))}" for v in values]
        req = _required(t) if t.types is None or "object" in t.types else []
        if req:
            notes.append("required keys " + ", ".join(code(k) for k in req))
        if t.types is not None and not (t.model is not None and t.model.kind == "class"):
            notes.append("JSON type " + ", ".join(code(x) for x in t.types))
        rows.append((_linked(member.py), ", ".join(notes)))
    return how, rows


# --- pages -------------------------------------------------------------------------------------------------------


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 (writes Markdown, escaped by `cell`)
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _kind(m: Model) -> str:
    if m.kind == "alias" and m.node.target().own_py is not None and (m.node.one_of or m.node.any_of):
        return "union"
    return m.kind


def _page(env: jinja2.Environment, m: Model, schema: Schema, package: str) -> str:
    node = m.node
    kind = _kind(m)
    context: dict[str, Any] = {
        "name": m.name,
        "kind": kind,
        "package": package,
        "description": (m.description or "").strip(),
        "fields": [],
        "extra": False,
        "unevaluated": False,
        "members": [],
        "how": "",
        "alias": "",
        "example": example_json(node, schema),
        "constraints": "",
        "unset": False,
        "extra_values": "",
    }
    if m.kind == "class":
        context["fields"] = [
            {
                "name": cell(code(f.name)),
                "type": cell(field_type(f)),
                "required": ":heavy_check_mark:" if f.required else ":heavy_minus_sign:",
                "description": cell(description(f.node)) or "N/A",
                "details": field_details(m, f),
            }
            for f in m.fields
        ]
        context["extra"] = m.extra
        context["unset"] = any(" | Unset | " in field_type(f) for f in m.fields)
        rest = node.additional.target() if node.additional is not None else None
        values = _value(rest, 0) if rest is not None and rest.boolean is None else "Any"
        context["extra_values"] = "" if values == "Any" else cell(f"; values: {values}")
        context["constraints"] = "; ".join(object_constraints(node, values=False))
        rest = node.unevaluated_properties
        context["unevaluated"] = rest is not None and rest.target().boolean is False
    elif m.kind == "enum":
        context["members"] = [(cell(code(name)), cell(code(_show(value)))) for name, value in m.members]
    else:
        assert node.own_py is not None
        context["alias"] = _linked(node.own_py)
        if kind == "union":
            how, rows = union_members(node)
            context["how"], context["members"] = how, [(cell(member), cell(told)) for member, told in rows]
        context["constraints"] = "; ".join(constraints(node))
    return env.get_template("model_page.md.jinja2").render(**context)


def render(schema: Schema, package: str, schema_name: str) -> dict[str, str]:
    """Every page, by file name: one per model, plus `index.md`."""
    prepare_fields(schema)
    env = _env()
    pages: dict[str, str] = {}
    for name in sorted(schema.models):
        pages[page_name(name)] = _page(env, schema.models[name], schema, package)
    groups: dict[str, list[tuple[str, str, str]]] = {"class": [], "enum": [], "union": [], "alias": []}
    for name in sorted(schema.models):
        m = schema.models[name]
        summary = cell((m.description or "").strip().split("\n")[0]) or "N/A"
        groups[_kind(m)].append((name, page_name(name), summary))
    root = schema.root.name if schema.root is not None else None
    pages["index.md"] = env.get_template("models_index.md.jinja2").render(
        package=package, schema_name=schema_name, groups=groups, root=root, root_page=root and page_name(root)
    )
    return pages
