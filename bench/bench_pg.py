"""The store benchmarks side by side on SQLite and PostgreSQL (loopback server), in one run.

PostgreSQL: the server at ``FIELDMARK_BENCH_PG`` (a URL of an empty database) or else a throwaway
cluster started like the tests' (tests/support/postgres.py: initdb + pg_ctl, fsync off, which is the
test set-up, not a production one). Reports each figure for both engines, the SQLite/PostgreSQL
ratio (> 1: PostgreSQL is faster for rates, slower for times; see ``ratio_note``) and the load average.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench.bench_store import measure

FIGURES = ("bulk_insert_shapes_per_s", "frame_shapes_ms_p50", "frame_shapes_ms_p95", "single_edit_commit_ms_p50",
           "single_edit_commit_ms_p95", "open_1m_ms")


def _loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()
    except OSError:
        return "unknown"


def main() -> dict:
    cluster = None
    url = os.environ.get("FIELDMARK_BENCH_PG")
    if not url:
        from tests.support.postgres import start_cluster

        cluster = start_cluster()
        url = cluster.create_database("bench")
    try:
        load_before = _loadavg()
        sqlite = measure(Path(tempfile.mkdtemp(prefix="fm-bench-pg-")) / "big.fmproj")
        postgres = measure(url)
        load_after = _loadavg()
    finally:
        if cluster is not None:
            cluster.stop()
    ratios = {key: round(sqlite[key] / postgres[key], 2) for key in FIGURES if postgres.get(key)}
    figures = {"sqlite": sqlite, "postgresql": postgres, "sqlite_over_postgresql": ratios,
               "ratio_note": "SQLite value / PostgreSQL value", "loadavg_before": load_before,
               "loadavg_after": load_after}
    print(f"  {'figure':28s} {'sqlite':>10s} {'postgresql':>11s} {'ratio':>7s}")
    for key in FIGURES:
        print(f"  {key:28s} {sqlite[key]:>10} {postgres[key]:>11} {ratios.get(key, '-'):>7}")
    print(f"  load average {load_before} -> {load_after}")
    return figures
