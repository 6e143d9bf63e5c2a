"""Support code the generated models and converter share: the absent-value sentinel, masked reprs,
document errors with JSON paths, and the value checks the generated hooks call."""

from __future__ import annotations

import contextlib
import enum
import ipaddress
import math
import re
import sys
import types
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any, Final
from uuid import UUID

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


class Bail(Exception):
    """The converter's fast path met something it does not accept: the full, path-reporting path decides."""


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


def slot_setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    """The setter of an attribute's slot (the instance is built without the frozen __setattr__), or, for an
    attribute without a slot of its own, object.__setattr__ for that name."""
    for klass in cls.__mro__:
        found = klass.__dict__.get(name)
        if isinstance(found, types.MemberDescriptorType):
            return found.__set__

    def assign(obj: Any, value: Any) -> None:
        object.__setattr__(obj, name, value)

    return assign


def reroot(problems: list[Problem], start: int, prefix: str) -> None:
    """Prefixes the paths of the problems from `start` on (an item checked under the empty path) with `prefix`."""
    for i in range(start, len(problems)):
        problems[i] = Problem(prefix + problems[i][0], problems[i][1])


def wrong(path: str, expected: str, value: object) -> Problem:
    return Problem(path, f"expected {expected}, got {kind(value)}")


_FRACTION = re.compile(r"\.(\d+)")
_FAST_ISO: Final = sys.version_info >= (3, 11)
_DATE_TIME = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$",
    re.ASCII,
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$", re.ASCII)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$")


class DateTimeText(datetime):
    """A date-time that remembers the text it was read from, so that it is written back unchanged."""

    __slots__ = ("text",)
    text: str


class UUIDText(UUID):
    """A UUID that remembers the text it was read from."""

    __slots__ = ("text",)
    text: str


def is_date(text: str) -> bool:
    if _DATE.match(text) is None:
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def is_date_time(text: str) -> bool:
    if _DATE_TIME.match(text) is None:
        return False
    return is_date(text[:10])


def is_time(text: str) -> bool:
    return _TIME.match(text) is not None


def is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return len(text) == 36 and all(text[i] == "-" for i in (8, 13, 18, 23))


def is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def is_ipv6(text: str) -> bool:
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return not getattr(address, "scope_id", "")


FORMATS: Final[dict[str, Callable[[str], bool]]] = {
    "email": lambda text: "@" in text,
    "uri": lambda text: _URI.match(text) is not None,
    "ipv4": is_ipv4,
    "ipv6": is_ipv6,
    "date-time": is_date_time,
    "date": is_date,
    "time": is_time,
    "uuid": is_uuid,
}
"""The formats checked, each as `jsonschema`'s FormatChecker reads it."""


def structure_datetime(value: object, path: str, problems: list[Problem], accept_date: bool) -> Any:
    """An RFC 3339 date-time (a bare date too where the schema says so); it remembers its text."""
    if type(value) is not str:
        problems.append(wrong(path, "a date-time string", value))
        return INVALID
    try:
        if accept_date and len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        if _DATE_TIME.match(value) is None:
            raise ValueError(value)
        if _FAST_ISO:
            try:  # Python 3.11 reads RFC 3339 text as it is (Z, any fraction digits)
                moment = DateTimeText.fromisoformat(value)
                moment.text = value
                return moment
            except ValueError:
                pass  # a lower-case t or z, a space, a leap second: normalized below
        text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
        text = text[:10] + "T" + text[11:]
        fraction = _FRACTION.match(text, 19)
        if fraction is not None:  # any number of digits, as RFC 3339 allows; Python 3.10 takes only 3 or 6
            digits = (fraction.group(1) + "00000")[:6]
            text = text[: fraction.start(1)] + digits + text[fraction.end(1) :]
        if text[17:19] == "60":  # a leap second reads as the last second of the minute
            text = text[:17] + "59" + text[19:]
        moment = DateTimeText.fromisoformat(text)
        moment.text = value
        return moment
    except ValueError:
        expected = "an RFC 3339 date-time or date" if accept_date else "an RFC 3339 date-time"
        problems.append(Problem(path, f"expected {expected}"))
        return INVALID


_PLAIN_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](?:\.[0-9]+)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)
"""Plain RFC 3339 text (upper-case T and Z, no leap second): its shape; datetime.fromisoformat checks the ranges of
the date and time (the offset's, which it would not, are in the pattern). Other text goes the long way."""


def _never(value: str) -> None:
    return None


plain_date_time: Callable[[str], object] = _PLAIN_DATE_TIME.fullmatch if _FAST_ISO else _never
"""Whether text is plain RFC 3339 that datetime.fromisoformat reads as it is (never on Python 3.10): a match or None."""


def fast_datetime(value: str) -> Any:
    """The date-time of plain RFC 3339 text on Python 3.11+, or None (then structure_datetime decides). The
    subclass is built from the parsed datetime's pickled state: faster than DateTimeText.fromisoformat."""
    if not _FAST_ISO or _PLAIN_DATE_TIME.fullmatch(value) is None:
        return None
    try:
        state = datetime.fromisoformat(value).__reduce__()[1]
    except ValueError:
        return None
    moment = DateTimeText(*state)
    moment.text = value
    return moment


def datetime_or_bail(value: object, accept_date: bool) -> Any:
    """For the converter's fast path: the date-time as structure_datetime reads it, or Bail on a problem."""
    problems: list[Problem] = []
    moment = structure_datetime(value, "", problems, accept_date)
    if problems:
        raise Bail
    return moment


def unstructure_datetime(value: datetime) -> str:
    """The text a date-time was read from; else RFC 3339 text, UTC written with `Z`."""
    text = getattr(value, "text", None)
    if text is not None:
        return text  # type: ignore[no-any-return]
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def structure_date(value: str, path: str, problems: list[Problem]) -> Any:
    if is_date(value):
        return date.fromisoformat(value)
    problems.append(Problem(path, "expected a valid date"))
    return INVALID


def structure_uuid(value: str, path: str, problems: list[Problem]) -> Any:
    if is_uuid(value):
        result = UUIDText(value)
        object.__setattr__(result, "text", value)
        return result
    problems.append(Problem(path, "expected a valid uuid"))
    return INVALID


def unstructure_uuid(value: UUID) -> str:
    text = getattr(value, "text", None)
    return str(value) if text is None else text


def json_equal(a: object, b: object) -> bool:
    """Equality as JSON Schema reads it: 1 == 1.0, true != 1, deep for arrays and objects."""
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    if type(a) is list and type(b) is list:
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is dict and type(b) is dict:
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if type(a) in (int, float) and type(b) in (int, float):
        return a == b
    return type(a) is type(b) and a == b


def json_in(value: object, options: list[Any]) -> bool:
    return any(json_equal(value, option) for option in options)


def unique(items: list[Any]) -> bool:
    return all(not json_equal(items[i], items[j]) for i in range(len(items)) for j in range(i + 1, len(items)))


def multiple_of(value: float, divisor: float) -> bool:
    if isinstance(divisor, float) or isinstance(value, float):
        try:
            quotient = value / divisor
            return math.isfinite(quotient) and int(quotient) == quotient
        except (OverflowError, ZeroDivisionError):
            return False
    return value % divisor == 0


def copy_json(value: Any) -> Any:
    """A copy of a JSON value's arrays and objects at every depth (scalars are shared: they are immutable), so that
    a structured document never holds its caller's containers, nor hands its own out. Iterative: any depth."""
    if type(value) is dict:
        top: Any = {}
    elif type(value) is list:
        top = []
    else:
        return value
    stack: list[tuple[Any, Any]] = [(value, top)]
    while stack:
        source, target = stack.pop()
        if type(source) is dict:
            for key, item in source.items():
                if type(item) is dict or type(item) is list:
                    item_copy: Any = {} if type(item) is dict else []
                    stack.append((item, item_copy))
                    item = item_copy
                target[key] = item
        else:
            for item in source:
                if type(item) is dict or type(item) is list:
                    item_copy = {} if type(item) is dict else []
                    stack.append((item, item_copy))
                    item = item_copy
                target.append(item)
    return top


def structure_any(value: Any, path: str, problems: list[Problem]) -> Any:
    """The schema `true`: every value (a copy of its arrays and objects)."""
    return copy_json(value) if type(value) is dict or type(value) is list else value


def structure_never(value: Any, path: str, problems: list[Problem]) -> Any:
    """The schema `false`: no value."""
    problems.append(Problem(path, "no value is allowed here"))
    return INVALID


def enum_member(table: dict[Any, Any], cls: Any, value: Any) -> Any:
    """The member of an enum class whose value equals `value` as JSON does."""
    try:
        member = table.get((type(value) is bool, value))
    except TypeError:  # an array or object value
        member = None
    if member is None:
        member = next((m for m in cls if json_equal(m.value, value)), None)
    return member


def enum_table(cls: Any) -> dict[Any, Any]:
    table: dict[Any, Any] = {}
    for member in cls:
        with contextlib.suppress(TypeError):  # an array or object value
            table.setdefault((type(member.value) is bool, member.value), member)
    return table
