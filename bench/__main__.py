"""`python -m bench [--quick] [documents] [imports] ...`: every benchmark by default; `--quick` runs fewer rounds
(the benchmarks that honour it) for iteration."""

from __future__ import annotations

import importlib
import os
import sys

ALL = ["documents", "imports", "refresh", "tokens", "bulk", "adapters", "stores"]


def main(argv: list[str]) -> int:
    if "--quick" in argv:
        os.environ["BENCH_QUICK"] = "1"
        argv = [arg for arg in argv if arg != "--quick"]
    for name in argv or ALL:
        if name not in ALL:
            print(f"unknown benchmark {name!r}; choose from {', '.join(ALL)}", file=sys.stderr)
            return 2
        module = importlib.import_module(f"bench.{name}")
        print(module.run(), flush=True)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
