"""`unevaluatedProperties` and `unevaluatedItems` (2019-09 and later): what a node's in-place subschemas evaluate.

A key (an item) is evaluated when the node or one of its in-place subschemas evaluates it: `properties`,
`patternProperties`, `additionalProperties` or a nested `unevaluatedProperties` (`prefixItems`, `items`, `contains`
in 2020-12, a nested `unevaluatedItems`). `allOf` members and a `$ref` beside other keywords always apply; an
anyOf/oneOf member only when it matches, `then` when `if` matches and `else` when it does not, a dependentSchemas
member when its key is present. The static part is read from the IR once; the conditional parts are decided per
document, by running the member's structure function on the value with a scratch problem list."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..converter import Writer

from ..ir import Node

Cond = tuple[str, Node | str, bool]
"""("valid", member, expected): the member matches (or not); ("has", key, True): the object has the key."""


@dataclass
class Evaluated:
    names: set[str] = field(default_factory=set)
    patterns: list[str] = field(default_factory=list)
    everything: bool = False
    prefix: int = 0
    contains: list[Node] = field(default_factory=list)
    conditional: list[tuple[tuple[Cond, ...], Evaluated]] = field(default_factory=list)

    def merge(self, other: Evaluated) -> None:
        self.names |= other.names
        self.patterns += [p for p in other.patterns if p not in self.patterns]
        self.everything = self.everything or other.everything
        self.prefix = max(self.prefix, other.prefix)
        self.contains += other.contains
        self.conditional += other.conditional


def evaluated(n: Node, items: bool, contains_evaluates: bool, seen: frozenset[int] = frozenset()) -> Evaluated:
    """What `n` and its in-place subschemas evaluate (properties, or items when `items`); `n`'s own unevaluated
    keyword is left out (it is the one being checked), a nested one evaluates everything."""
    out = Evaluated()
    top = not seen
    n = n.target()
    if id(n) in seen or n.boolean is not None:
        return out
    seen = seen | {id(n)}
    if items:
        out.prefix = len(n.prefix_items)
        out.everything = n.items is not None or (n.unevaluated_items is not None and not top)
        if n.contains is not None and contains_evaluates:
            out.contains.append(n.contains)
    else:
        out.names = set(n.properties)
        out.patterns = [p for p, _ in n.pattern_properties]
        out.everything = n.additional is not None or (n.unevaluated_properties is not None and not top)
    for member in (*n.all_of, *([n.ref] if n.ref is not None else [])):
        out.merge(evaluated(member, items, contains_evaluates, seen))
    for member in (*n.any_of, *n.one_of):
        out.conditional.append(((("valid", member, True),), evaluated(member, items, contains_evaluates, seen)))
    if n.if_ is not None:
        out.conditional.append(((("valid", n.if_, True),), evaluated(n.if_, items, contains_evaluates, seen)))
        if n.then is not None:
            out.conditional.append(((("valid", n.if_, True),), evaluated(n.then, items, contains_evaluates, seen)))
        if n.else_ is not None:
            out.conditional.append(((("valid", n.if_, False),), evaluated(n.else_, items, contains_evaluates, seen)))
    for key, dep in n.dependent_schemas.items():
        out.conditional.append(((("has", key, True),), evaluated(dep, items, contains_evaluates, seen)))
    return out


def _flatten(ev: Evaluated, conds: tuple[Cond, ...] = ()) -> list[tuple[tuple[Cond, ...], Evaluated]]:
    out = [(conds, ev)]
    for more, sub in ev.conditional:
        out += _flatten(sub, conds + more)
    return out


class _Conditions:
    """Names a boolean per distinct condition; writes the lines that compute them (once per document)."""

    def __init__(self, w: Writer, prefix: str) -> None:
        self.w = w
        self.prefix = prefix
        self.names: dict[int, str] = {}
        self.lines: list[str] = []

    def test(self, conds: tuple[Cond, ...]) -> str:
        parts = []
        for kind, what, expected in conds:
            if kind == "has":
                parts.append(f"({what!r} in v)")
                continue
            assert isinstance(what, Node)
            target = what.target()
            if id(target) not in self.names:
                name = f"{self.prefix}{len(self.names)}"
                self.names[id(target)] = name
                self.lines += ["scratch = []", f"{self.w.fn(target)}(v, path, scratch)", f"{name} = not scratch"]
            parts.append(self.names[id(target)] if expected else f"not {self.names[id(target)]}")
        return " and ".join(parts)


def properties(w: Writer, n: Node) -> list[str]:
    """The check of `unevaluatedProperties` on an object `v`."""
    if n.unevaluated_properties is None or n.unevaluated_properties.target().boolean is True:
        return []
    parts = _flatten(evaluated(n, False, w.schema.contains_evaluates))
    base = parts[0][1]
    if base.everything:  # additionalProperties (or another unevaluatedProperties) evaluated every key
        return []
    static = f"k not in {w.const_set(tuple(sorted(base.names)))}" if base.names else "True"
    for pattern in base.patterns:
        static += f" and {w.pattern(pattern)}.search(k) is None"
    lines = [f"u_rest = [k for k in v if {static}]" if static != "True" else "u_rest = list(v)", "if u_rest:"]
    conditions = _Conditions(w, "u_p")
    skips: list[str] = []
    for conds, ev in parts[1:]:
        if not (ev.everything or ev.names or ev.patterns):
            continue
        test = conditions.test(conds)
        alternatives = []
        if ev.everything:
            alternatives.append("True")
        else:
            if ev.names:
                alternatives.append(f"k in {w.const_set(tuple(sorted(ev.names)))}")
            alternatives += [f"{w.pattern(p)}.search(k) is not None" for p in ev.patterns]
        skips.append(f"({test} and ({' or '.join(alternatives)}))")
    body = ["    " + line for line in conditions.lines]
    body.append("    for k in u_rest:")
    if skips:
        body += [f"        if {' or '.join(skips)}:", "            continue"]
    rest = n.unevaluated_properties
    if rest.target().boolean is False:
        body.append("        problems.append(_Problem(_child(path, k), 'unknown field'))")
    else:
        body.append(f"        {w.fn(rest)}(v[k], _child(path, k), problems)")
    return lines + body


def items(w: Writer, n: Node) -> list[str]:
    """The check of `unevaluatedItems` on an array `v`."""
    if n.unevaluated_items is None or n.unevaluated_items.target().boolean is True:
        return []
    parts = _flatten(evaluated(n, True, w.schema.contains_evaluates))
    base = parts[0][1]
    if base.everything:
        return []
    conditions = _Conditions(w, "u_i")
    skips: list[str] = []
    for conds, ev in parts[1:]:
        if not (ev.everything or ev.prefix > base.prefix):
            continue
        test = conditions.test(conds)
        skips.append(f"({test})" if ev.everything else f"({test} and i < {ev.prefix})")
    contains = [(conditions.test(conds) if conds else "", node) for conds, ev in parts for node in ev.contains]
    body = ["    " + line for line in conditions.lines]
    body += [f"    for i in range({base.prefix}, len(v)):", "        x = v[i]"]
    if skips:
        body += [f"        if {' or '.join(skips)}:", "            continue"]
    for guard, node in contains:
        body += ["        scratch = []", f"        {w.fn(node)}(x, path, scratch)"]
        body += [f"        if {guard + ' and ' if guard else ''}not scratch:", "            continue"]
    rest = n.unevaluated_items
    where = "f'{path}[{i}]'"
    if rest.target().boolean is False:
        body.append(f"        problems.append(_Problem({where}, 'unevaluated item'))")
    else:
        body.append(f"        {w.fn(rest)}(x, {where}, problems)")
    return [f"if len(v) > {base.prefix}:", *body]
