"""Job leases with real separate processes: a second writer is refused (and cannot write the job even
directly), a killed client's lease expires and is taken over with a warning, a lost lease is reported."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.domain import Shape
from app.domain.project import FrameInfo
from app.storage import JobLeasedError, LeaseLostError, Project
from tests.unit.test_store import make_labels

ROOT = Path(__file__).resolve().parents[2]
HOLDER = textwrap.dedent("""
    import sys, time
    from app.storage import Project
    p = Project.open(sys.argv[1])
    p.acquire_job(1, ttl=float(sys.argv[2]))
    print("held", flush=True)
    while True:
        time.sleep(0.2)
        if sys.argv[3] == "heartbeat":
            p.renew_job(1)
""")


@pytest.fixture
def team(project_location: str) -> str:
    with Project.create(project_location, "team", make_labels()) as project:
        project.create_task("t", [FrameInfo(i, f"{i}.jpg", 10, 10) for i in range(4)], segment_size=2)
    return project_location


def _holder(target: str, ttl: float, mode: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, target, str(ttl), mode], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "held"
    return proc


def _kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.mark.parametrize("project_location", ["postgresql"], indirect=True)
def test_second_writer_is_refused_while_the_holder_heartbeats(team: str) -> None:
    proc = _holder(team, 1.0, "heartbeat")
    try:
        with Project.open(team) as mine:
            with pytest.raises(JobLeasedError, match=r"Job 1 is being edited by \S+ on \S+ since .* UTC"):
                mine.acquire_job(1)
            with pytest.raises(JobLeasedError, match="not saved"):
                mine.add_shapes(1, [Shape("rectangle", 0, 1, [0, 0, 1, 1])])
            assert mine.frame_shapes(1, 0) == []
            time.sleep(1.5)  # longer than the lease's life: only the heartbeat keeps it
            assert mine.job_lease(1) is not None and mine.job_lease(1).pid == proc.pid
            lease = mine.acquire_job(2)  # other jobs are free
            assert lease.taken_over is None and set(mine.job_leases()) == {1, 2}
            mine.add_shapes(2, [Shape("rectangle", 2, 1, [0, 0, 1, 1])])
    finally:
        _kill(proc)


@pytest.mark.parametrize("project_location", ["postgresql"], indirect=True)
def test_a_killed_clients_lease_expires_and_is_taken_over_with_a_warning(team: str) -> None:
    proc = _holder(team, 1.0, "heartbeat")
    _kill(proc)
    with Project.open(team) as mine:
        with pytest.raises(JobLeasedError):
            mine.acquire_job(1)
        time.sleep(1.2)
        assert mine.job_lease(1) is None
        lease = mine.acquire_job(1)
        assert lease.taken_over is not None and lease.taken_over.pid == proc.pid
        assert "whose lease expired" in lease.warning
        mine.add_shapes(1, [Shape("rectangle", 0, 1, [0, 0, 1, 1])])
        mine.release_job(1)
        assert mine.job_lease(1) is None


def test_a_lost_lease_is_reported_on_the_next_heartbeat(team: str) -> None:
    with Project.open(team) as mine:
        mine.acquire_job(1, ttl=0.2)
        mine.renew_job(1)
        assert mine.acquire_job(1, ttl=0.2).taken_over is None  # renewing one's own lease
        time.sleep(0.4)
        with Project.open(team, read_only=True) as reader:
            assert reader.job_lease(1) is None
        other = Project(mine.location, read_only=False)  # a second handle in this process: another holder
        other._conn = mine.conn  # same database, a different lease identity (SQLite allows one writer)
        assert other.acquire_job(1).taken_over is not None
        with pytest.raises(LeaseLostError, match="taken over"):
            mine.renew_job(1)
        other._conn = None
