"""The generator's command line: `retently-oauth-codegen` (or `python -m codegen` from a checkout)."""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
from pathlib import Path

from . import diff as schema_diff
from .generate import OUTPUT, PACKAGE, SCHEMA, GenerationError, generate


def _check(schema: Path, output: Path) -> int:
    """Regenerates into a temporary directory and prints a unified diff against `output`."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(schema, Path(tmp))
        committed = output / PACKAGE
        names = sorted({p.name for p in fresh.iterdir()} | {p.name for p in committed.glob("*") if p.is_file()})
        changed = False
        for name in names:
            old = (committed / name).read_text() if (committed / name).exists() else ""
            new = (fresh / name).read_text() if (fresh / name).exists() else ""
            if old != new:
                changed = True
                sys.stdout.writelines(
                    difflib.unified_diff(
                        old.splitlines(keepends=True),
                        new.splitlines(keepends=True),
                        f"generated/{PACKAGE}/{name} (committed)",
                        f"generated/{PACKAGE}/{name} (from schema)",
                    )
                )
    if changed:
        print("generated/ differs from what schema/ and codegen/ produce: run `python -m codegen`", file=sys.stderr)
        return 1
    print("generated/ is up to date")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    gen = sub.add_parser("generate", help="write generated/ from schema/ (the default)")
    check = sub.add_parser("check", help="fail with a diff when generated/ is stale")
    for p in (gen, check):
        p.add_argument("--schema", type=Path, default=SCHEMA)
        p.add_argument("--out", type=Path, default=OUTPUT)
    d = sub.add_parser("diff", help="list the API changes between two schema versions; exit 1 if any breaks")
    d.add_argument("old", type=Path)
    d.add_argument("new", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "diff":
            return schema_diff.main(args.old, args.new)
        if args.command == "check":
            return _check(args.schema, args.out)
        schema = getattr(args, "schema", SCHEMA)
        out = getattr(args, "out", OUTPUT)
        package = generate(schema, out)
        print(f"wrote {package}")
        return 0
    except GenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
