"""`retently-oauth-codegen diff OLD NEW`: what a schema change does to the generated API, each change marked
breaking or compatible (narrowing what a document may hold breaks readers' data; widening breaks nobody)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import ir
from .generate import load


@dataclass(frozen=True, order=True)
class Change:
    where: str
    what: str
    breaking: bool

    def __str__(self) -> str:
        return f"{'BREAKING' if self.breaking else 'compatible'}  {self.where}: {self.what}"


_LOWER = ("min_length", "min_items", "min_properties", "minimum", "exclusive_minimum", "min_contains")
_UPPER = ("max_length", "max_items", "max_properties", "maximum", "exclusive_maximum", "max_contains")
_EXACT = ("pattern", "format", "multiple_of")
_NAMES = {
    "min_length": "minLength",
    "max_length": "maxLength",
    "min_items": "minItems",
    "max_items": "maxItems",
    "min_properties": "minProperties",
    "max_properties": "maxProperties",
    "exclusive_minimum": "exclusiveMinimum",
    "exclusive_maximum": "exclusiveMaximum",
    "multiple_of": "multipleOf",
    "min_contains": "minContains",
    "max_contains": "maxContains",
}


def _nullable(py: ir.Py) -> bool:
    return py.kind == "none" or (py.kind == "union" and any(a.kind == "none" for a in py.args))


def _strip_null(py: ir.Py) -> str:
    if py.kind == "union":
        rest = [a for a in py.args if a.kind != "none"]
        return ir.Py("union", args=tuple(rest)).annotation() if len(rest) > 1 else rest[0].annotation()
    return py.annotation()


_FITS = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}


def _widens(old: ir.Py, new: ir.Py) -> bool:
    """Every value `old` represents, `new` represents too."""
    if old == new or new.kind == "any":
        return True
    if old.kind == "union":
        return all(_widens(a, new) for a in old.args)
    if new.kind == "union":
        return any(_widens(old, b) for b in new.args)
    if old.kind == "int" and new.kind == "float":
        return True
    if old.kind == "literal":
        if new.kind == "literal":
            return set(map(repr, old.values)) <= set(map(repr, new.values))
        fits = _FITS.get(new.kind)
        return fits is not None and all(type(v) in fits for v in old.values)
    return False


def node_changes(where: str, a: ir.Node, b: ir.Node, seen: set[tuple[int, int]]) -> list[Change]:
    """Changes of one schema position: its type, nullability and every constraint keyword."""
    a, b = a.target(), b.target()
    if (id(a), id(b)) in seen:
        return []
    seen.add((id(a), id(b)))
    out: list[Change] = []
    pa, pb = a.py, b.py
    if pa != pb:
        na, nb = _nullable(pa), _nullable(pb)
        if _strip_null(pa) != _strip_null(pb):
            widened = _widens(pa, pb) and not _widens(pb, pa)
            what = f"type {'widened' if widened else 'changed'} from {_strip_null(pa)} to {_strip_null(pb)}"
            out.append(Change(where, what, not widened))
        if na and not nb:
            out.append(Change(where, "no longer accepts null (type narrowed)", True))
        elif nb and not na:
            out.append(Change(where, "now also accepts null", False))
    for attr in _LOWER + _UPPER + _EXACT:
        va: Any = getattr(a, attr)
        vb: Any = getattr(b, attr)
        if va == vb:
            continue
        name = _NAMES.get(attr, attr)
        if vb is None:
            out.append(Change(where, f"{name} {va!r} removed", False))
        elif va is None:
            out.append(Change(where, f"{name} {vb!r} added (narrowed)", True))
        elif attr in _LOWER:
            out.append(Change(where, f"{name} {va!r} -> {vb!r}" + (" (narrowed)" if vb > va else ""), vb > va))
        elif attr in _UPPER:
            out.append(Change(where, f"{name} {va!r} -> {vb!r}" + (" (narrowed)" if vb < va else ""), vb < va))
        else:
            out.append(Change(where, f"{name} {va!r} -> {vb!r} (narrowed)", True))
    for attr, name in (("unevaluated_properties", "unevaluatedProperties"), ("unevaluated_items", "unevaluatedItems")):
        out += _unevaluated_changes(where, name, getattr(a, attr), getattr(b, attr), seen)
    if a.unique_items != b.unique_items:
        out.append(Change(where, "uniqueItems " + ("added" if b.unique_items else "removed"), b.unique_items))
    ea = set(map(repr, a.enum or ())) if a.model is None else set()
    eb = set(map(repr, b.enum or ())) if b.model is None else set()
    if a.enum is not None and b.enum is not None and ea != eb:
        for value in sorted(ea - eb):
            out.append(Change(where, f"enum value {value} removed", True))
        for value in sorted(eb - ea):
            out.append(Change(where, f"enum value {value} added", False))
    if a.has_const and not b.has_const:
        out.append(Change(where, f"constant {a.const!r} removed", False))
    elif b.has_const and not a.has_const:
        out.append(Change(where, f"constant {b.const!r} added (narrowed)", True))
    elif a.has_const and a.const != b.const:
        out.append(Change(where, f"constant changed from {a.const!r} to {b.const!r}", True))
    if a.accept_date != b.accept_date:
        if a.accept_date:
            out.append(Change(where, "no longer accepts a bare date", True))
        else:
            out.append(Change(where, "now also accepts a bare date", False))
    if a.model is None and b.model is None:
        if a.items is not None and b.items is not None:
            out += node_changes(f"{where}[]", a.items, b.items, seen)
        if a.additional is not None and b.additional is not None:
            out += node_changes(f"{where}{{}}", a.additional, b.additional, seen)
    return out


def _restricts(node: ir.Node | None) -> bool:
    return node is not None and node.target().boolean is not True


def _unevaluated_changes(
    where: str, name: str, a: ir.Node | None, b: ir.Node | None, seen: set[tuple[int, int]]
) -> list[Change]:
    """unevaluatedProperties / unevaluatedItems: adding one (or making it false) narrows; removing one widens."""
    if not _restricts(a) and not _restricts(b):
        return []
    if not _restricts(a):
        return [Change(where, f"{name} added (narrowed)", True)]
    if not _restricts(b):
        return [Change(where, f"{name} removed", False)]
    assert a is not None and b is not None
    fa, fb = a.target().boolean is False, b.target().boolean is False
    if fa and not fb:
        return [Change(where, f"{name} false -> a schema", False)]
    if fb and not fa:
        return [Change(where, f"{name} a schema -> false (narrowed)", True)]
    return [] if fa else node_changes(f"{where}({name})", a, b, seen)


def compare(old: ir.Schema, new: ir.Schema) -> list[Change]:
    changes: list[Change] = []
    for name in sorted(set(old.models) | set(new.models)):
        a, b = old.models.get(name), new.models.get(name)
        if b is None:
            changes.append(Change(name, f"{a.kind if a else 'class'} removed", True))
            continue
        if a is None:
            changes.append(Change(name, f"{b.kind} added", False))
            continue
        if a.kind != b.kind:
            changes.append(Change(name, f"changed from {a.kind} to {b.kind}", True))
            continue
        if a.kind == "enum":
            va = {repr(v) for _, v in a.members}
            vb = {repr(v) for _, v in b.members}
            changes += [Change(name, f"enum value {v} removed", True) for v in sorted(va - vb)]
            changes += [Change(name, f"enum value {v} added", False) for v in sorted(vb - va)]
            continue
        if a.kind == "alias":
            changes += node_changes(name, a.node, b.node, set())
            continue
        if a.extra and not b.extra:
            changes.append(Change(name, "additional properties no longer allowed", True))
        if b.extra and not a.extra:
            changes.append(Change(name, "additional properties now allowed and kept", False))
        changes += node_changes(name, a.node, b.node, set())
        old_fields = {f.key: f for f in a.fields}
        new_fields = {f.key: f for f in b.fields}
        for key in sorted(set(old_fields) | set(new_fields)):
            fa, fb = old_fields.get(key), new_fields.get(key)
            where = f"{name}.{key}"
            if fb is None:
                changes.append(Change(where, "field removed", True))
            elif fa is None:
                kind = "required" if fb.required else "optional"
                changes.append(Change(where, f"{kind} field added", fb.required))
            else:
                if fb.required and not fa.required:
                    changes.append(Change(where, "optional -> required", True))
                elif fa.required and not fb.required:
                    changes.append(Change(where, "required -> optional (now may be absent)", False))
                changes += node_changes(where, fa.node, fb.node, set())
                if fa.secret != fb.secret:
                    changes.append(Change(where, "now secret" if fb.secret else "no longer secret", False))
    return sorted(set(changes), key=lambda c: (c.where, c.what))


def main(old_path: Path, new_path: Path, *, class_name: str | None = None) -> int:
    changes = compare(load(old_path, class_name), load(new_path, class_name))
    for change in changes:
        print(change)
    breaking = sum(c.breaking for c in changes)
    print(f"{len(changes)} changes, {breaking} breaking", file=sys.stderr)
    return 1 if breaking else 0
