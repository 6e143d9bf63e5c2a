"""`const` and `enum`: the value must equal one of the listed JSON values (1 == 1.0, true != 1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..converter import Writer

from .common import SHOWN_VALUES, expected_one_of, py_literal


def equal_check(w: Writer, values: list[Any], message: str) -> list[str]:
    if message.startswith("expected one of ") and len(values) > SHOWN_VALUES:
        message = expected_one_of(values)
    if all(type(x) is str for x in values):
        return [
            f"if type(v) is not str or v not in {w.const_set(tuple(values))}:",
            f"    problems.append(_Problem(path, {message!r}))",
        ]
    return [
        f"if not _json_in(v, {py_literal(values)}):",
        f"    problems.append(_Problem(path, {message!r}))",
    ]
