"""A point in time a whole operation must finish by: retries, waits and every read included.

A `Deadline` is made when an operation starts (`Deadline.after(total_timeout)`) and handed down; each blocking
step asks it how long it may still take (`remaining()`, `cap(seconds)`, `timeout_for(Timeout)`) and stops with
`TransportError` once it has passed (`check(what)`). Monotonic clock: wall-clock jumps do not move it.
"""

from __future__ import annotations

import math
import time

import attrs
from urllib3.util import Timeout

from .exceptions import ArgumentError, TransportError

MIN_WAIT = 0.001
"""The shortest timeout handed to a socket: zero would mean non-blocking, not "no time left"."""
MAX_WAIT = 365 * 24 * 3600.0
"""The longest timeout handed to a socket or a thread wait (a year): "no limit" (`math.inf`) and huge numbers of
seconds are cut to it, since sockets and locks refuse them with OverflowError."""


def check_total_timeout(value: object, what: str = "total_timeout") -> float:
    """`value` as a float if it is a positive number of seconds (`math.inf` for no limit); else ArgumentError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentError(f"{what} must be a number of seconds, got {type(value).__name__}")
    if math.isnan(value) or value <= 0:
        raise ArgumentError(f"{what} must be a positive number of seconds")
    return float(value)


@attrs.frozen
class Deadline:
    """The monotonic time an operation must end by, and the budget it started with (for messages)."""

    at: float
    """`time.monotonic()` value past which the operation has failed; `math.inf` for none."""
    total: float
    """The budget in seconds, as given to `after`."""

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """A deadline `seconds` from now (`math.inf`: never)."""
        seconds = check_total_timeout(seconds)
        return cls(at=time.monotonic() + seconds, total=seconds)

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def cap(self, seconds: float | None) -> float:
        """`seconds` (None: unbounded) cut to the time left, at least `MIN_WAIT` so a socket still blocks, at most
        `MAX_WAIT`."""
        left = self.remaining()
        bounded = left if seconds is None else min(seconds, left)
        return min(max(bounded, MIN_WAIT), MAX_WAIT)

    def timeout_for(self, timeout: Timeout) -> Timeout:
        """`timeout` with its connect and read parts cut to the time left (`timeout` itself while both fit)."""
        connect = timeout.connect_timeout
        read = timeout.read_timeout
        if not isinstance(connect, (int, float)):
            connect = None
        if not isinstance(read, (int, float)):
            read = None
        left = self.remaining()
        if connect is not None and read is not None and max(connect, read) <= min(left, MAX_WAIT):
            return timeout
        return Timeout(connect=self.cap(connect), read=self.cap(read))

    def check(self, what: str) -> None:
        """TransportError naming `what` and the budget when the deadline has passed."""
        if self.expired():
            raise self.error(what)

    def error(self, what: str) -> TransportError:
        """The TransportError `check` raises, for callers that found out otherwise (a timed-out read)."""
        return TransportError(f"{what} failed: took longer than the total timeout of {self.total:g} s")
