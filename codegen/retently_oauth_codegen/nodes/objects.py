"""Object keywords and generated classes: `properties`, `required`, `additionalProperties`, `patternProperties`,
`propertyNames`, `minProperties`/`maxProperties`, dependencies; a class instance built slot by slot, and its
unstructure function."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..converter import Writer

from ..ir import Model, Node
from ..templates._runtime import child
from . import unevaluated
from .common import _part, builds


def object_(w: Writer, n: Node, building: bool) -> tuple[list[str], bool]:
    lines: list[str] = []
    if not n.allows("object"):  # an object is the wrong type here (even when the parser made a class of it)
        return lines, False
    model = n.model if (n.model is not None and n.model.kind == "class" and building) else None
    handled: set[str] = set()
    if model is not None:
        lines += class_fields(w, n, model)
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
        model is None and building and part is not None and n.additional is not None and builds(part.args[0], w.schema)
    )
    for key, prop in n.properties.items():
        if key in handled or prop.target().boolean is True:
            continue
        lines += [
            f"x = v.get({key!r}, _MISSING)",
            "if x is not _MISSING:",
            f"    {w.fn(prop)}(x, path + {child('', key)!r}, problems)",
        ]
    additional = n.additional.target() if n.additional is not None else None
    check_extra = (additional is not None and additional.boolean is not True) or n.pattern_properties
    if dict_builds:
        assert n.additional is not None
        lines += [
            "out = {}",
            "for k, x in v.items():",
            f"    out[k] = {w.fn(n.additional)}(x, _child(path, k), problems)",
            "r = out",
        ]
    elif check_extra:
        keys = w.const_set(tuple(n.properties)) if n.properties else "()"
        lines += ["for k, x in v.items():"]
        inner: list[str] = []
        if n.pattern_properties:
            inner.append("matched = False")
            for pattern, pnode in n.pattern_properties:
                inner += [
                    f"if {w.pattern(pattern)}.search(k) is not None:",
                    "    matched = True",
                    f"    {w.fn(pnode)}(x, _child(path, k), problems)",
                ]
        if additional is not None and additional.boolean is False and not n.pattern_properties:
            if model is not None and counts_keys(n, model):
                lines[-1] = "if len(v) != seen:"
            else:
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
                inner.append(f"    {w.fn(additional)}(x, _child(path, k), problems)")
        lines += ["    " + line for line in inner]
    if n.property_names is not None and n.property_names.target().boolean is not True:
        lines += ["for k in v:", f"    {w.fn(n.property_names)}(k, _child(path, k), problems)"]
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
        lines += [f"if {key!r} in v:", f"    {w.fn(dep)}(v, path, problems)"]
    lines += unevaluated.properties(w, n)
    if model is not None:
        lines += class_build(w, n, model)
        return lines, True
    return lines, dict_builds


def counts_keys(n: Node, model: Model) -> bool:
    """Whether the class function counts the keys it finds (`seen`): its fields are exactly the node's
    properties, so `len(v) == seen` says there is no other key (cheaper than a set test per object)."""
    keys = [f.key for f in model.fields]
    return bool(keys) and len(set(keys)) == len(keys) and set(keys) == set(n.properties)


def class_fields(w: Writer, n: Node, model: Model) -> list[str]:
    lines: list[str] = []
    counting = counts_keys(n, model)
    if counting:
        lines.append(f"seen = {sum(1 for f in model.fields if f.required)}")
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
            if counting:
                lines.append("    seen -= 1")
            if f.key in n.required:
                lines.append(f"    problems.append(_Problem({key_path}, 'required field missing'))")
            lines.append(f"    f_{f.name} = {'_INVALID' if f.key in n.required else 'None'}")
        elif f.default_source is not None:
            lines += [f"    f_{f.name} = {f.default_value}", f"    defaulted.append({f.name!r})"]
        elif f.structured_default is not None:
            lines += [
                f"    f_{f.name} = {w.fn(f.node)}({f.structured_default}, {key_path}, [])",
                f"    if f_{f.name} is _INVALID:",
                f"        f_{f.name} = {'_UNSET' if f.nullable else 'None'}",
                "    else:",
                f"        defaulted.append({f.name!r})",
            ]
        elif f.nullable:
            lines.append(f"    f_{f.name} = _UNSET")
        else:
            lines.append(f"    f_{f.name} = None")
        lines.append("else:")
        if counting and not f.required:
            lines.append("    seen += 1")
        if f.node.target().boolean is True:
            lines += [f"    f_{f.name} = _copy_json(x)"]  # free-form: a copy, never the caller's
        else:
            lines += ["    " + line for line in w.call(f.node, "x", key_path, f"f_{f.name}", sink)]
    return lines


def class_build(w: Writer, n: Node, model: Model) -> list[str]:
    """The instance, built without the attrs __init__ (frozen classes set each slot through object.__setattr__
    there too; doing it here saves the keyword-argument call). Every slot is set: the classes have no validators,
    converters or post-init hooks."""
    lines = ["if len(problems) != before:", "    return _INVALID", f"r = _new({model.name})"]
    for i, f in enumerate(model.fields):
        lines.append(f"{w.slot_setter(model.name, i, f.name)}(r, f_{f.name})")
    if model.extra:
        keys = w.const_set(tuple(f.key for f in model.fields)) if model.fields else "()"
        if model.fields:
            test = "len(v) == seen" if counts_keys(n, model) else f"{keys}.issuperset(v)"
            extra = f"{{}} if {test} else _copy_json({{k: x for k, x in v.items() if k not in {keys}}})"
        else:
            extra = "_copy_json(v)"
        lines.append(f'_setattr(r, "additional_properties", {extra})')
    if any(f.default_source is not None or f.structured_default is not None for f in model.fields):
        lines.append('_setattr(r, "_defaulted", frozenset(defaulted))')
    lines.append("return r")
    return lines


def unstructure_class(w: Writer, n: Node, m: Model) -> str:
    lines = [f"def _u_{m.name}(o: {m.name}) -> dict[str, Any]:", "    d: dict[str, Any] = {}", "    x: Any"]
    if n.types is None or set(n.types) - {"object"}:  # values of other JSON types are kept as they came
        lines = [f"def _u_{m.name}(o: Any) -> Any:", f"    if type(o) is not {m.name}:", "        return o"]
        lines += ["    d: dict[str, Any] = {}", "    x: Any"]
    leading = 0  # the leading required fields are written as one dict display
    while leading < len(m.fields) and m.fields[leading].required:
        leading += 1
    if leading:
        items = [f"{f.key!r}: {w.dump(f.node.py, f'o.{f.name}', f.node.target())}" for f in m.fields[:leading]]
        at = lines.index("    d: dict[str, Any] = {}")
        lines[at] = "    d: dict[str, Any] = {" + ", ".join(items) + "}"
    for f in m.fields[leading:]:
        value = w.dump(f.node.py, "x", f.node.target())
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
            "            d.setdefault(k, _copy_json(x))",
        ]
    lines.append("    return d")
    return "\n".join(lines)
