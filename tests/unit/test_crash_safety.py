"""A writer killed in the middle of large writes leaves a project (file or PostgreSQL database) with every
committed change and no partial one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from app.domain import Label
from app.domain.project import FrameInfo
from app.storage import Project

BATCH = 2000

WRITER = textwrap.dedent(
    f"""
    import sys
    from app.domain import Shape
    from app.storage import Project
    p = Project.open(sys.argv[1])
    label = p.labels().by_name("car").id
    n = 0
    while True:
        p.add_shapes(1, [Shape("polygon", i % 10, label, [float(i), 1.0] * 20) for i in range({BATCH})])
        n += 1
        print(n, flush=True)
    """
)


def test_kill_during_writes_keeps_committed_batches_only(project_location: str) -> None:
    path = project_location
    with Project.create(path, labels=[Label("car")]) as p:
        p.create_task("t", [FrameInfo(i, f"{i}.jpg", 100, 100) for i in range(10)])
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, path], cwd=root, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        committed = 0
        deadline = time.monotonic() + 60
        while committed < 3 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            committed = int(line)
        assert committed >= 3, "writer did not commit in time"
        time.sleep(0.05)  # land the kill in the middle of a later batch
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with Project.open(path) as p:  # the lock died with the process (SQLite); the server's session with it (PG)
        if p.conn.dialect.name == "sqlite":
            assert p.conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        total = p.conn.exec_driver_sql("SELECT COUNT(*) FROM shape").scalar_one()
        assert total % BATCH == 0, f"a partial batch survived: {total} rows"
        assert total >= committed * BATCH
        assert p.job(1).revision == total // BATCH
