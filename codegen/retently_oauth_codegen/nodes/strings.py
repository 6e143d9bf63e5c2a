"""String keywords: `minLength`, `maxLength`, `pattern`, `format` (date-time, date and uuid become Python values)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..converter import Writer

from ..ir import BUILDING_SCALARS, Node

FORMATS = ("email", "uri", "ipv4", "ipv6", "date-time", "date", "time", "uuid")
"""The formats checked (each as jsonschema's FormatChecker reads it; see the runtime's FORMATS)."""


def string(w: Writer, n: Node, building: bool) -> tuple[list[str], bool]:
    lines: list[str] = []
    checks: list[str] = []
    if not n.allows("string"):  # a string is the wrong type here: no block for it
        return lines, False
    if n.min_length is not None:
        checks += [
            f"if len(v) < {n.min_length}:",
            f"    problems.append(_Problem(path, 'must be at least {n.min_length} characters long'))",
        ]
    if n.max_length is not None:
        checks += [
            f"if len(v) > {n.max_length}:",
            f"    problems.append(_Problem(path, 'must be at most {n.max_length} characters long'))",
        ]
    if n.min_length is not None and n.max_length is not None:  # one len() on the way that passes
        lines += [f"if not {n.min_length} <= len(v) <= {n.max_length}:", *("    " + c for c in checks)]
    else:
        lines += checks
    if n.pattern is not None:
        message = f"must match the pattern {n.pattern!r}"
        lines += [
            f"if {w.pattern(n.pattern)}.search(v) is None:",
            f"    problems.append(_Problem(path, {message!r}))",
        ]
    fmt = n.format
    py = n.own_py
    parse = building and py is not None and py.kind in ("datetime", "date", "uuid")
    parse = parse or (
        building and py is not None and py.kind == "union" and any(a.kind in BUILDING_SCALARS for a in py.args)
    )
    if fmt == "date-time" and parse:
        lines += [
            "r = _fast_datetime(v)",
            "if r is None:",
            f"    r = _parse_datetime(v, path, problems, {n.accept_date!r})",
        ]
        return lines, True
    if fmt in ("date", "uuid") and parse:
        lines.append(f"r = _parse_{fmt}(v, path, problems)")
        return lines, True
    if fmt in FORMATS:
        lines += [
            f"if not _FORMATS[{fmt!r}](v):",
            f"    problems.append(_Problem(path, 'expected a valid {fmt}'))",
        ]
    return lines, False
