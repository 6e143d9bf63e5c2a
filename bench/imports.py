"""Import time of `import retently_oauth` beside `import urllib3`, each in a fresh interpreter."""

from __future__ import annotations

import statistics
import subprocess
import sys

from ._timing import fmt

PROBE = (
    "import time, sys; t = time.perf_counter(); import {module}; t = time.perf_counter() - t; "
    "heavy = [m for m in ('datamodel_code_generator', 'pydantic', 'jinja2', 'orjson', 'msgspec') if m in sys.modules]; "
    "print(t, ','.join(heavy))"
)


def measure(module: str, runs: int = 15) -> tuple[float, str]:
    times = []
    heavy = ""
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", PROBE.format(module=module)], capture_output=True, text=True, check=True
        )
        seconds, heavy = done.stdout.split(" ", 1)
        times.append(float(seconds))
    return statistics.median(times), heavy.strip()


def run() -> str:
    ours, heavy = measure("retently_oauth")
    base, _ = measure("urllib3")
    return "\n".join(
        [
            "import time (median of 15 fresh interpreters)",
            f"  import urllib3          {fmt(base)}",
            f"  import retently_oauth   {fmt(ours)}   x{ours / base:.2f} vs urllib3",
            f"  heavy modules imported by retently_oauth: {heavy or 'none'}",
        ]
    )
