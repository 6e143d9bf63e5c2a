"""Development sessions. `nox -s ci` is what CI runs: tests, lint, typecheck and check_generated in one venv."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["ci"]

DEV = ".[codegen,test,lint]"
CHECKED = ["src", "generated", "codegen", "tests", "bench", "noxfile.py"]


def _install(session: nox.Session, extras: str = DEV) -> None:
    session.install("-e", extras)


def _tests(session: nox.Session) -> None:
    # Two pytest-xdist workers (the CI machine has two cores; most tests wait on sockets and subprocesses). The tests
    # of a module with a module-scoped fixture stay on one worker (tests/conftest.py); `-- -n 0` runs in one process.
    session.run("pytest", "-q", "-n", "2", "--keep-modules-together", *session.posargs)


def _lint(session: nox.Session) -> None:
    session.run("ruff", "check", *CHECKED)
    session.run("ruff", "format", "--check", *CHECKED)


def _typecheck(session: nox.Session) -> None:
    session.run("mypy")


def _check_generated(session: nox.Session) -> None:
    session.run("python", "-m", "codegen", "check")


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (pytest)."""
    _install(session)
    _tests(session)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    _install(session)
    _lint(session)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over src, generated and codegen."""
    _install(session)
    _typecheck(session)


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate generated/ from schema/."""
    _install(session)
    session.run("python", "-m", "codegen", "generate")


@nox.session
def check_generated(session: nox.Session) -> None:
    """Fail with a unified diff when generated/ is not what schema/ + codegen/ produce."""
    _install(session)
    _check_generated(session)


@nox.session
def ci(session: nox.Session) -> None:
    """Everything CI checks, in one venv: check_generated, lint, typecheck, tests."""
    _install(session)
    _check_generated(session)
    _lint(session)
    _typecheck(session)
    _tests(session)


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: `retently-oauth demo` against the embedded local Retently server."""
    session.install("-e", ".")
    session.run("retently-oauth", "demo")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks, side by side with the peer libraries, reported as ratios. `nox -s bench -- --quick bulk` runs
    one benchmark with fewer rounds, for iteration."""
    _install(session, ".[codegen,test,bench]")
    session.run("python", "-m", "bench", *session.posargs)


CORPUS_LIST = "tests/corpus/corpus.toml"
CORPUS_TOOLS = [
    "pytest>=8",
    "pytest-timeout>=2.3",
    "pytest-httpserver>=1.0",
    "pytest-xdist>=3.5",
    "jsonschema[format-nongpl]>=4.21",  # FormatChecker for date-time, time, uri, ...
    "pyyaml",  # Airbyte's spec.yaml
    "hypothesis==6.98.*",  # hypothesis-jsonschema 0.23.1 fails on later releases
    "hypothesis-jsonschema==0.23.1",
]


def _corpus_pins() -> tuple[list[str], list[str]]:
    """The corpus's installed distributions and its source distributions, as `name==version`, from the list."""
    import tomllib

    with open(CORPUS_LIST, "rb") as f:
        entries = tomllib.load(f)["schema"]
    dists = sorted({e["dist"] for e in entries if "dist" in e})
    sdists = sorted({e["sdist"] for e in entries if "sdist" in e})
    return dists, sdists


@nox.session
def corpus(session: nox.Session) -> None:
    """The generator against third-party schemas, judged by jsonschema (tests/corpus; issue 8)."""
    dists, sdists = _corpus_pins()
    session.install("-e", ".[codegen,lint]", *CORPUS_TOOLS)
    # The corpus packages only supply schema files: no dependencies (Airbyte's CDK is large and not needed).
    session.install("--no-deps", *dists)
    from pathlib import Path

    cache = Path(session.create_tmp()).resolve()
    sdist_dir = cache / "sdists"
    for pin in sdists:
        name = pin.split("==")[0].replace("-", "_")
        if not list(sdist_dir.glob(f"{name}-*.tar.gz")):
            session.run_install(
                "python", "-m", "pip", "download", "--no-deps", "--no-binary", pin.split("==")[0],
                "-d", str(sdist_dir), pin,
            )  # fmt: skip
    env = {"RETENTLY_CORPUS_CACHE": str(cache)}
    failed = []
    steps = {
        "sweep": (["-n", "2", "--dist", "loadgroup", "tests/corpus"], "1"),
        "mypy": (["tests/corpus/test_corpus_mypy.py"], "mypy"),  # one mypy run over every generated package
    }
    for name, (args, phase) in steps.items():
        try:
            session.run(
                "pytest", "-p", "no:cacheprovider", *args, *session.posargs, env={**env, "RETENTLY_CORPUS": phase}
            )
        except nox.command.CommandFailed:
            failed.append(name)
    if failed:
        session.error(f"corpus: {', '.join(failed)} failed")
