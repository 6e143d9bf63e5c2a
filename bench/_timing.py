"""Timing helpers: the median of several repeats of many calls, so one noisy moment does not decide."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def per_call(fn: Callable[[], object], *, number: int = 0, repeat: int = 7) -> float:
    """Median seconds per call of `fn`."""
    if number == 0:
        number = 1
        while True:
            start = time.perf_counter()
            for _ in range(number):
                fn()
            if time.perf_counter() - start > 0.05:
                break
            number *= 2
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def fmt(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:8.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.2f} µs"
    return f"{seconds * 1e3:8.2f} ms"


def table(title: str, rows: list[tuple[str, float]], baseline: str) -> str:
    """Rows of (name, seconds), each with its ratio to `baseline` (ratio > 1 means slower than the baseline)."""
    base = dict(rows)[baseline]
    lines = [title]
    for name, seconds in rows:
        lines.append(f"  {name:<44} {fmt(seconds)}   x{seconds / base:5.2f} vs {baseline}")
    return "\n".join(lines)
