"""Numeric keywords: `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (numeric spellings; the parser
reads draft-04's booleans into them), `multipleOf`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..converter import Writer

from ..ir import Node


def number(w: Writer, n: Node) -> list[str]:
    lines: list[str] = []
    for value, op, message in (
        (n.minimum, "<", "must be >= {}"),
        (n.maximum, ">", "must be <= {}"),
        (n.exclusive_minimum, "<=", "must be > {}"),
        (n.exclusive_maximum, ">=", "must be < {}"),
    ):
        if value is not None:
            text = message.format(value)
            lines += [f"if v {op} {value!r}:", f"    problems.append(_Problem(path, {text!r}))"]
    if n.multiple_of is not None:
        lines += [
            f"if not _multiple_of(v, {n.multiple_of!r}):",
            f"    problems.append(_Problem(path, 'must be a multiple of {n.multiple_of}'))",
        ]
    return lines
