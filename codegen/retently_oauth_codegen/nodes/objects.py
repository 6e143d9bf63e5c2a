"""Object keywords and generated classes: `properties`, `required`, `additionalProperties`, `patternProperties`,
`propertyNames`, `minProperties`/`maxProperties`, dependencies; a class instance built slot by slot, and its
unstructure function."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..converter import Writer

from ..ir import Model, Node
from ..templates._runtime import child
from .common import _part, builds


def object_(w: Writer, n: Node, building: bool) -> tuple[list[str], bool]:
    lines: list[str] = []
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
    if model is not None:
        lines += class_build(w, n, model)
        return lines, True
    return lines, dict_builds


def class_fields(w: Writer, n: Node, model: Model) -> list[str]:
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
        if f.node.target().boolean is True:
            lines += ["else:", f"    f_{f.name} = x"]
        else:
            lines += ["else:", *("    " + line for line in w.call(f.node, "x", key_path, f"f_{f.name}", sink))]
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
            extra = f"{{}} if {keys}.issuperset(v) else {{k: x for k, x in v.items() if k not in {keys}}}"
        else:
            extra = "dict(v)"
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
    for f in m.fields:
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
            "            d.setdefault(k, x)",
        ]
    lines.append("    return d")
    return "\n".join(lines)
