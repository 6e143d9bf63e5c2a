"""Writes `models.py` from the IR: attrs classes, enums and aliases, with annotations from each node's Python
representation (the same one the converter builds), valid defaults and safely quoted docstrings."""

from __future__ import annotations

from typing import Any

from .capture import GenerationError
from .ir import Model, Py, Schema
from .nodes.common import builds, py_literal


def doc_literal(text: str) -> str:
    """A Python string literal for any text: a triple-quoted one when that is safe, else `repr`."""
    text = text.strip()
    safe = (
        '"""' not in text
        and "\\" not in text
        and not text.endswith('"')
        and all(c.isprintable() or c == "\n" for c in text)
    )
    return f'"""{text}"""' if safe else repr(text)


def _accepts_null(py: Py, schema: Schema, seen: frozenset[str] = frozenset()) -> bool:
    if py.kind in ("none", "any"):
        return True
    if py.kind == "alias":  # an alias of a union with null (a nullable $ref) is nullable too
        node = schema.models[py.name].node
        return py.name not in seen and node.own_py is not None and _accepts_null(node.own_py, schema, seen | {py.name})
    return py.kind == "union" and any(_accepts_null(a, schema, seen) for a in py.args)


def _without_none(py: Py) -> str:
    if py.kind == "union":
        rest = [a for a in py.args if a.kind != "none"]
        return Py("union", args=tuple(rest)).annotation() if len(rest) > 1 else rest[0].annotation()
    return py.annotation()


def _default(py: Py, value: Any, schema: Schema) -> str | None:
    """Python source of a usable default, or None when the JSON default does not fit the representation."""
    kind = py.kind
    if kind == "alias":
        node = schema.models[py.name].node
        if node.own_py is None or builds(node.own_py, schema):
            return None
        return _default(node.own_py, value, schema)
    if kind == "union":
        for arg in py.args:
            found = _default(arg, value, schema)
            if found is not None:
                return found
        return None
    if kind == "str" and type(value) is str:
        return repr(value)
    if kind == "int" and type(value) is int:
        return repr(value)
    if kind == "float" and type(value) in (int, float):
        return py_literal(value)
    if kind == "bool" and type(value) is bool:
        return repr(value)
    if kind == "literal" and type(value) in (str, int, bool) and value in py.values:
        return repr(value)
    if kind == "enum":
        for name, member in schema.models[py.name].members:
            if type(member) is type(value) and member == value:
                return f"{py.name}.{name}"
        return None
    if kind in ("list", "dict", "any") and not builds(py, schema):
        if kind == "list" and type(value) is not list:
            return None
        if kind == "dict" and type(value) is not dict:
            return None
        if isinstance(value, (list, dict)):
            return f"_field(factory=lambda: {py_literal(value)})"
        return py_literal(value) if kind == "any" else None
    return None


def _reachable(py: Py, schema: Schema, seen: set[str]) -> set[str]:
    """The generated classes a value of `py` may hold, at any depth."""
    if py.kind in ("class", "alias"):
        if py.name in seen:
            return seen
        seen.add(py.name)
        m = schema.models[py.name]
        if m.kind == "alias":
            if m.node.own_py is not None:
                _reachable(m.node.own_py, schema, seen)
        else:
            for f in m.fields:
                _reachable(f.node.py, schema, seen)
        return seen
    for a in py.args:
        _reachable(a, schema, seen)
    return seen


def prepare_fields(schema: Schema) -> None:
    """Decides each field's annotation-related facts: default, nullability."""
    for m in schema.models.values():
        for f in m.fields:
            py = f.node.py
            f.nullable = not f.required and _accepts_null(py, schema)
            target = f.node.target()
            has_default = f.node.has_default or target.has_default
            value = f.node.default if f.node.has_default else target.default
            if not f.required and has_default and value is not None:
                f.default_source = _default(py, value, schema)
                if f.default_source is None:
                    if m.name not in _reachable(py, schema, set()):  # a default of its own class would recurse
                        f.structured_default = py_literal(value)
                elif f.default_source.startswith("_field(factory=lambda: "):
                    f.default_value = f.default_source[len("_field(factory=lambda: ") : -1]
                else:
                    f.default_value = f.default_source


def _class(m: Model, schema: Schema) -> list[str]:
    lines = ["@_define(frozen=True, kw_only=True)", f"class {m.name}:"]
    lines.append("    " + doc_literal(m.description or m.name))
    for f in m.fields:
        py = f.node.py
        if f.required:
            annotation, default = py.annotation(), None
        elif f.default_source is not None:
            annotation, default = py.annotation(), f.default_source
        elif f.nullable:
            annotation, default = f"{_without_none(py)} | Unset | None", "_UNSET"
            if annotation.startswith("Any"):
                annotation = "Any"
        else:
            annotation, default = f"{py.annotation()} | None", "None"
            if annotation.startswith("Any"):
                annotation = "Any"
        if f.secret:
            args = [] if default is None else [f"default={default}"]
            if default is not None and default.startswith("_field("):
                args = [default[len("_field(") : -1]]
            assignment = " = _field(" + ", ".join([*args, "repr=_secret_repr"]) + ")"
        else:
            assignment = "" if default is None else f" = {default}"
        lines.append(f"    {f.name}: {annotation}{assignment}")
        description = f.node.description or f.node.target().description
        if description:
            lines.append("    " + doc_literal(description))
    if m.extra:
        lines += [
            "    additional_properties: dict[str, Any] = _field(factory=dict, repr=_keys_repr)",
            '    """Keys the schema does not name, kept as they came so that a document round-trips."""',
        ]
    if any(f.default_source is not None or f.structured_default is not None for f in m.fields):
        lines += [
            "    _defaulted: frozenset[str] = _field(init=False, factory=frozenset, repr=False, eq=False)",
            '    """Defaulted fields the source document left out; they stay out when it is written back."""',
        ]
    return lines


def _enum(m: Model) -> list[str]:
    lines = [f"class {m.name}(Enum):", "    " + doc_literal(m.description or m.name), ""]
    if not m.members:  # guard: it would read every value the schema accepts as None, and drop it on write-back
        raise GenerationError(f"{m.node.where}: enum {m.name} would have no members")
    for name, value in m.members:
        lines.append(f"    {name} = {py_literal(value)}")
    return lines


def _alias_order(schema: Schema) -> list[Model]:
    aliases = [m for m in schema.models.values() if m.kind == "alias"]
    names = {m.name for m in aliases}
    order: list[Model] = []
    state: dict[str, int] = {}

    def visit(m: Model) -> None:
        if state.get(m.name) == 2:
            return
        if state.get(m.name) == 1:
            return
        state[m.name] = 1
        assert m.node.own_py is not None
        for dep in _alias_deps(m.node.own_py):
            if dep in names:
                visit(schema.models[dep])
        state[m.name] = 2
        order.append(m)

    for m in aliases:
        visit(m)
    return order


def _alias_deps(py: Py) -> list[str]:
    out = [py.name] if py.kind == "alias" else []
    for a in py.args:
        out += _alias_deps(a)
    return out


def alias_value(m: Model, defined: set[str], shared: set[str], stringy: set[str]) -> str:
    """The alias's right-hand side: a plain union of generated classes when no other alias spells the same, else
    `Annotated[..., name]` so that every alias is a distinct object the converter can key on; names not yet
    defined (recursive aliases) make it a string."""
    assert m.node.own_py is not None
    py = m.node.own_py
    text = py.annotation()
    pending = [d for d in _alias_deps(py) if d not in defined or d in stringy]
    if pending:  # a string alias: usable in annotations, not in a runtime expression
        stringy.add(m.name)
        return repr(text)
    if py.kind == "union" and text not in shared and all(a.kind in ("class", "enum") for a in py.args):
        return text
    return f"Annotated[{text}, {m.name!r}]"


def render(schema: Schema) -> str:
    prepare_fields(schema)
    parts: list[list[str]] = []
    # enums first: class defaults name their members
    parts += [_enum(m) for m in schema.models.values() if m.kind == "enum"]
    parts += [_class(m, schema) for m in schema.models.values() if m.kind == "class"]
    defined: set[str] = set()
    spelled: dict[str, int] = {}
    for m in schema.models.values():
        if m.kind == "alias" and m.node.own_py is not None:
            text = m.node.own_py.annotation()
            spelled[text] = spelled.get(text, 0) + 1
    shared = {text for text, count in spelled.items() if count > 1}
    stringy: set[str] = set()
    for m in _alias_order(schema):
        lines = [f"{m.name}: TypeAlias = {alias_value(m, defined, shared, stringy)}"]
        if m.description:
            lines.append(doc_literal(m.description))
        defined.add(m.name)
        parts.append(lines)
    head = [
        '"""Attrs classes, enums and aliases, one per document type of the schema."""',
        "",
        "from __future__ import annotations",
        "",
        "from datetime import date, datetime",
        "from enum import Enum",
        "from typing import Annotated, Any, Literal, TypeAlias",
        "from uuid import UUID",
        "",
        "from attrs import define as _define",
        "from attrs import field as _field",
        "",
        "from ._runtime import UNSET as _UNSET",
        "from ._runtime import Unset",
        "from ._runtime import keys_repr as _keys_repr",
        "from ._runtime import secret_repr as _secret_repr",
        "",
        "__all__ = [" + ", ".join(repr(m) for m in sorted(schema.models)) + "]",
    ]
    body = "\n\n\n".join("\n".join(p) for p in parts)
    return "\n".join(head) + "\n\n\n" + body + "\n"
