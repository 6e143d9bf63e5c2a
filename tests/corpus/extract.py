"""`python -m tests.corpus.extract DIR`: writes every corpus schema to DIR/<id>/ (with the files its relative
`$ref`s name) and a README saying where each came from, to try the generator on them by hand. Run it in the
`corpus` nox venv (`.nox/corpus/bin/python`), after `nox -s corpus` has downloaded the source distributions."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

from .harness import load_corpus, schema_file

_REF = re.compile(r'"\$ref"\s*:\s*"([^"#][^"]*?)(?:#[^"]*)?"')


def extract(target: Path) -> list[str]:
    target.mkdir(parents=True, exist_ok=True)
    lines = ["Third-party JSON Schemas of tests/corpus/corpus.toml (not part of the repository): id, file, source.", ""]
    for entry in load_corpus():
        source = schema_file(entry)
        folder = target / entry.id
        folder.mkdir(exist_ok=True)
        pending, seen = [source], set()
        while pending:
            path = pending.pop()
            if path in seen or not path.is_file():
                continue
            seen.add(path)
            relative = path.relative_to(source.parent) if path.is_relative_to(source.parent) else Path(path.name)
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, folder / relative)
            for ref in _REF.findall(path.read_text(encoding="utf-8")):
                if "://" not in ref:
                    pending.append((path.parent / ref).resolve())
        lines.append(f"{entry.id}/{source.name}: {entry.source}")
    (target / "README").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.corpus.extract DIR")
    print(json.dumps(extract(Path(sys.argv[1])), indent=1))
