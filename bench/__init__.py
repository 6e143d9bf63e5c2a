"""Benchmarks, run by `nox -s bench` (`python -m bench [name ...]`): ours beside the peers, as ratios."""
