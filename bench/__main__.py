"""`python -m bench [documents] [imports] ...`: every benchmark by default."""

from __future__ import annotations

import importlib
import sys

ALL = ["documents", "imports", "refresh", "tokens"]


def main(argv: list[str]) -> int:
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
