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
    session.run("pytest", "-q", *session.posargs)


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
