"""Array keywords: `prefixItems`/`items`/`additionalItems` (both spellings), `minItems`, `maxItems`, `uniqueItems`,
`contains` with `minContains`/`maxContains`; a list of structured items when the items build."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..converter import Writer

from ..ir import Node
from . import unevaluated
from .common import _part


def array(w: Writer, n: Node, building: bool) -> tuple[list[str], bool]:
    lines: list[str] = []
    if not n.allows("array"):  # an array is the wrong type here: no block for it
        return lines, False
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
        lines += [f"if len(v) > {i}:", f"    {w.fn(item)}(v[{i}], f'{{path}}[{i}]', problems)"]
    py = n.own_py
    item_builds = False
    if n.items is not None and n.items.target().boolean is not True:
        start = len(n.prefix_items)
        part = _part(py, "list")
        # a fresh list even when the items are kept as they came: the caller's list is never aliased
        item_builds = building and part is not None and not n.prefix_items
        if item_builds and w.inlinable(n.items):
            item_lines = w.inline(n.items, "x", "f'{path}[{i}]'", "y")
            lines += [
                "out = []",
                "for i, x in enumerate(v):",
                *("    " + line for line in item_lines),
                "    out.append(y)",
                "r = out",
            ]
        elif item_builds:  # each item is checked under the empty path; a problem's path is completed after
            lines += [
                "out = []",
                "mark = len(problems)",
                "for i, x in enumerate(v):",
                f"    y = {w.fn(n.items)}(x, '', problems)",
                "    if len(problems) != mark:",
                "        _reroot(problems, mark, f'{path}[{i}]')",
                "        mark = len(problems)",
                "    out.append(y)",
                "r = out",
            ]
        elif not start and w.inlinable(n.items):
            lines += [
                "for i, x in enumerate(v):",
                *("    " + line for line in w.inline(n.items, "x", "f'{path}[{i}]'", "y")),
            ]
        elif start:
            lines += [
                f"for i in range({start}, len(v)):",
                f"    {w.fn(n.items)}(v[i], f'{{path}}[{{i}}]', problems)",
            ]
        else:
            lines += [
                "for i, x in enumerate(v):",
                f"    {w.fn(n.items)}(x, f'{{path}}[{{i}}]', problems)",
            ]
    if building and not item_builds and _part(py, "list") is not None:
        list_part = _part(py, "list")
        assert list_part is not None
        lines.append("r = _copy_json(v)" if w.holds_containers(list_part.args[0]) else "r = v.copy()")
        item_builds = True
    if n.contains is not None:
        low = 1 if n.min_contains is None else n.min_contains
        lines += [
            "found = 0",
            "for x in v:",
            "    scratch = []",
            f"    {w.fn(n.contains)}(x, path, scratch)",
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
    lines += unevaluated.items(w, n)
    return lines, item_builds
