"""`python -m codegen diff OLD NEW`: what a schema change does to the generated API, each change marked breaking
or compatible, for downstream maintainers to read before they regenerate."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from . import ir
from .generate import GenerationError, parse


@dataclass(frozen=True, order=True)
class Change:
    where: str
    what: str
    breaking: bool

    def __str__(self) -> str:
        return f"{'BREAKING' if self.breaking else 'compatible'}  {self.where}: {self.what}"


_WIDER = {("int", "float")}


def _type_change(old: ir.TypeSpec, new: ir.TypeSpec) -> tuple[str, bool] | None:
    """None when equal; else a description and whether it breaks."""
    if old == new:
        return None
    if new.kind == "nullable" and new.item == old:
        return "now also accepts null", False
    if old.kind == "nullable" and old.item == new:
        return "no longer accepts null (type narrowed)", True
    if (old.kind, new.kind) in _WIDER:
        return f"type widened from {old.describe()} to {new.describe()}", False
    if old.kind == new.kind and old.kind in ("int", "float"):
        narrowed = (new.minimum is not None and (old.minimum is None or new.minimum > old.minimum)) or (
            new.maximum is not None and (old.maximum is None or new.maximum < old.maximum)
        )
        return "bounds changed" + (" (narrowed)" if narrowed else ""), narrowed
    if old.kind == new.kind == "literal":
        removed = set(old.values) - set(new.values)
        return f"constant changed from {old.describe()} to {new.describe()}", bool(removed)
    if old.kind == new.kind == "datetime":
        return ("no longer accepts a bare date", True) if old.accept_date else ("now also accepts a bare date", False)
    if old.kind == new.kind and old.kind in ("list", "dict", "nullable"):
        assert old.item is not None and new.item is not None
        inner = _type_change(old.item, new.item)
        return None if inner is None else (f"items: {inner[0]}", inner[1])
    return f"type changed from {old.describe()} to {new.describe()}", True


def compare(old: ir.SchemaSpec, new: ir.SchemaSpec) -> list[Change]:
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
        for value in sorted(set(a.values) - set(b.values)):
            changes.append(Change(name, f"enum value {value!r} removed", True))
        for value in sorted(set(b.values) - set(a.values)):
            changes.append(Change(name, f"enum value {value!r} added", False))
        for member in sorted(set(a.members) - set(b.members)):
            changes.append(Change(name, f"union member {member} removed", True))
        for member in sorted(set(b.members) - set(a.members)):
            changes.append(Change(name, f"union member {member} added", False))
        if a.extra and not b.extra:
            changes.append(Change(name, "additional properties no longer allowed", True))
        if b.extra and not a.extra:
            changes.append(Change(name, "additional properties now allowed and kept", False))
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
                change = _type_change(fa.type, fb.type)
                if change is not None:
                    changes.append(Change(where, change[0], change[1]))
                if fa.secret != fb.secret:
                    changes.append(Change(where, "now secret" if fb.secret else "no longer secret", False))
    return changes


def load(path: Path) -> ir.SchemaSpec:
    try:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GenerationError(f"{path}: cannot read schema: {exc}") from exc
    _, results = parse(text)
    try:
        return ir.build(results, raw)
    except ir.SchemaNotSupported as exc:
        raise GenerationError(f"{path}: {exc}") from exc


def main(old_path: Path, new_path: Path) -> int:
    changes = compare(load(old_path), load(new_path))
    for change in changes:
        print(change)
    breaking = sum(c.breaking for c in changes)
    print(f"{len(changes)} changes, {breaking} breaking", file=sys.stderr)
    return 1 if breaking else 0
