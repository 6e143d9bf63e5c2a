"""`anyOf` (at least one member) and `oneOf` (exactly one; a `const` tag, or the `discriminator` keyword, picks
the member whose problems are reported)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..converter import Writer

from ..ir import Node, listed_values
from ..templates._runtime import child
from .common import _all_props, _consts, _required, expected_one_of


def any_of(w: Writer, n: Node, building: bool) -> list[str]:
    lines = ["matched = False"]
    for member in n.any_of:
        lines += [
            "if not matched:",
            "    scratch = []",
            f"    x = {w.fn(member)}(v, path, scratch)",
            "    if not scratch:",
            "        matched = True",
        ]
        if building:
            lines.append("        r = x")
    values = _member_values(n.any_of)
    message = "matches none of the anyOf schemas" if values is None else expected_one_of(values)
    lines += ["if not matched:", f"    problems.append(_Problem(path, {message!r}))"]
    return lines


def _member_values(members: tuple[Node, ...]) -> tuple[Any, ...] | None:
    """The values the members list, when each lists its own (`{"const": "a", "description": ...}`): what a problem
    names as expected, in place of the members' types."""
    values: dict[str, Any] = {}
    for member in members:
        listed = listed_values(member)
        if listed is None:
            return None
        for value in listed:
            values.setdefault(json.dumps(value, sort_keys=True), value)
    return tuple(values.values())


def find_tag(w: Writer, n: Node) -> tuple[str, list[tuple[Any, int]]] | None:
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


def one_of(w: Writer, n: Node, building: bool) -> list[str]:
    lines = ["count = 0", "best: list[_Problem] | None = None", "best_score = -1", "tie = False"]
    names = ", ".join(dict.fromkeys(m.py.annotation() for m in n.one_of))
    unclear = f"matches no variant unambiguously: expected one of {names}"
    values = _member_values(n.one_of)
    if values is not None:
        unclear = expected_one_of(values)
    tag = find_tag(w, n)
    if tag is not None:
        key, pairs = tag
        lines.append(f"tag = v.get({key!r}, _MISSING) if type(v) is dict else _MISSING")
    for i, member in enumerate(n.one_of):
        lines += [
            "scratch = []",
            f"x = {w.fn(member)}(v, path, scratch)",
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
        message = expected_one_of(values)
        lines += [
            f"    if tag is not _MISSING and tag not in {w.const_set(values)}:",
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
