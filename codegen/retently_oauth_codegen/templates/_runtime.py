"""Support code the generated models and converter share: the absent-value sentinel, masked reprs,
document errors with JSON paths, and the value checks the generated hooks call."""

from __future__ import annotations

import enum
import re
from datetime import date, datetime, timezone
from typing import Any, Final

__all__ = [
    "UNSET",
    "DocumentError",
    "Problem",
    "Unset",
    "keys_repr",
    "secret_repr",
]


class Unset(enum.Enum):
    """Marks a field the document did not carry, where the schema also allows an explicit null."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = Unset.UNSET


class _Invalid(enum.Enum):
    INVALID = "INVALID"


INVALID: Final = _Invalid.INVALID
"""What a check returns after it has recorded a problem."""

MISSING: Final = object()
"""What `dict.get` returns for a key the document lacks."""


def secret_repr(value: object) -> str:
    """Shows that a secret is there without showing it."""
    return repr(value) if value is None or value is UNSET else "'***'"


def keys_repr(value: dict[str, Any]) -> str:
    """Shows the keys of free-form data, never its values, which may hold secrets."""
    return "{" + ", ".join(f"{key!r}: ..." for key in value) + "}"


class Problem(tuple[str, str]):
    """One thing wrong with a document: its JSON path and what is wrong there (never the value itself)."""

    __slots__ = ()

    def __new__(cls, path: str, message: str) -> Problem:
        return super().__new__(cls, (path, message))

    @property
    def path(self) -> str:
        return self[0]

    @property
    def message(self) -> str:
        return self[1]

    def __str__(self) -> str:
        return f"{self[0]}: {self[1]}"


class DocumentError(ValueError):
    """A document does not match its schema; `problems` lists every mismatch with its JSON path."""

    def __init__(self, document: str, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.document = document
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"invalid {document} document ({count} {noun}):\n{lines}")


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def child(path: str, key: str | int) -> str:
    """The JSON path of a member or an item."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.match(key):
        return f"{path}.{key}"
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'{path}["{escaped}"]'


_KINDS: Final = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
    list: "an array",
    dict: "an object",
}


def kind(value: object) -> str:
    """What a value is, in JSON terms, without showing it."""
    return _KINDS.get(type(value), f"a Python {type(value).__name__}")


def wrong(path: str, expected: str, value: object) -> Problem:
    return Problem(path, f"expected {expected}, got {kind(value)}")


_FRACTION = re.compile(r"\.(\d+)")


def structure_datetime(value: object, path: str, problems: list[Problem], accept_date: bool) -> Any:
    """An RFC 3339 date-time (a bare date too where the schema says so)."""
    if type(value) is not str:
        problems.append(wrong(path, "a date-time string", value))
        return INVALID
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        if accept_date and len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        if len(text) < 11 or text[10] not in "Tt ":
            raise ValueError(text)
        fraction = _FRACTION.match(text, 19)
        if fraction is not None:  # any number of digits, as RFC 3339 allows; Python 3.10 takes only 3 or 6
            digits = (fraction.group(1) + "00000")[:6]
            text = text[: fraction.start(1)] + digits + text[fraction.end(1) :]
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:  # RFC 3339 requires an offset; a local time would be read differently per host
            raise ValueError(text)
        return moment
    except ValueError:
        expected = "an RFC 3339 date-time or date" if accept_date else "an RFC 3339 date-time"
        problems.append(Problem(path, f"expected {expected}"))
        return INVALID


def unstructure_datetime(value: datetime) -> str:
    """RFC 3339 text; UTC is written with `Z`."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
