"""Benchmarks. ``python -m bench`` runs them all, ``python -m bench NAME`` one (bench/bench_NAME.py).

Each module defines ``main() -> dict``; it prints a short table and returns its figures, which are
also written to bench/results/NAME.json with the machine description.
"""
