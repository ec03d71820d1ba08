"""Live updates and lost connections of a project shared between clients.

A reader of a job follows another process's writes within seconds (PostgreSQL LISTEN/NOTIFY, or polling
the jobs' versions: the fallback, and SQLite's way); this process's own writes are not echoed back as
someone else's. A connection that breaks in the middle of an edit keeps the edit and saves it when the
server answers again; nothing is half-written or lost silently.
"""

from __future__ import annotations

import queue
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from app.domain import Shape
from app.domain.project import FrameInfo
from app.editing.commands import add_shapes
from app.editing.session import EditSession
from app.editing.stack import UndoStack
from app.storage import ConnectionLostError, Project
from app.storage.live import REMOTE, RemoteChange, diff_snapshots, parse_payload
from app.storage.store import StoreChange
from tests.unit.test_store import make_labels

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 20.0  # a functional bound (the change must arrive), not a speed measurement


class Pump:
    """A dispatcher for a thread without an event loop: functions queue up and run in :meth:`until`."""

    def __init__(self) -> None:
        self.queue: queue.Queue[Callable[[], None]] = queue.Queue()

    def __call__(self, fn: Callable[[], None]) -> None:
        self.queue.put(fn)

    def until(self, condition: Callable[[], bool], timeout: float = WAIT_S) -> bool:
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            try:
                self.queue.get(timeout=0.05)()
            except queue.Empty:
                pass
        return condition()


def make_team(location: str) -> str:
    with Project.create(location, "live", make_labels()) as project:
        project.create_task("t", [FrameInfo(i, f"{i}.jpg", 10, 10) for i in range(3)])
    return location


def box(x: float = 0) -> Shape:
    return Shape("rectangle", 0, 1, [x, 0, x + 5, 5])


def write_in_another_process(location: str, x: float) -> None:
    writer = textwrap.dedent("""
        import sys
        from app.domain import Shape
        from app.storage import Project
        with Project.open(sys.argv[1]) as p:
            p.add_shapes(1, [Shape("rectangle", 0, 1, [float(sys.argv[2]), 0, 9, 9])])
    """)
    subprocess.run([sys.executable, "-c", writer, location, str(x)], cwd=ROOT, check=True, timeout=120,
                   env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("listen", [True, False], ids=["listen", "poll"])
def test_a_reader_follows_a_writer_in_another_process(project_location: str, listen: bool) -> None:
    make_team(project_location)
    pump = Pump()
    with Project.open(project_location, read_only=True) as reader:
        reader.dispatcher = pump
        session = EditSession(reader, 1, UndoStack())
        watcher = reader.watch(poll_s=0.3, listen=listen)
        assert watcher.ready.wait(30)
        postgres = project_location.startswith("postgresql")
        assert watcher.mode == ("listen" if postgres and listen else "poll")
        remote: list[StoreChange] = []
        reader.changed.connect(lambda c: remote.append(c) if c.origin is REMOTE else None)
        assert len(session.objects()) == 0
        write_in_another_process(project_location, 1)
        assert pump.until(lambda: len(session.objects()) == 1), "the reader never saw the other process's shape"
        write_in_another_process(project_location, 2)
        assert pump.until(lambda: len(session.objects()) == 2)
        assert {c.job_id for c in remote if c.kind == "annotations"} == {1}
        session.close()


def test_own_writes_are_not_taken_for_someone_elses(project_location: str) -> None:
    """The echo of this process's edits (its NOTIFY, or the version a poll sees) reloads nothing."""
    make_team(project_location)
    pump = Pump()
    with Project.open(project_location) as project:
        project.dispatcher = pump
        session = EditSession(project, 1, UndoStack())
        watcher = project.watch(poll_s=0.2)
        assert watcher.ready.wait(30)
        remote: list[StoreChange] = []
        project.changed.connect(lambda c: remote.append(c) if c.origin is REMOTE else None)
        for x in range(3):
            session.push(add_shapes(project, 1, [box(x)]))
        pump.until(lambda: False, timeout=1.5)  # a few polls / notifications
        assert [c for c in remote if c.kind == "annotations"] == []
        assert len(session.objects()) == 3 and session.undo_stack.can_undo()
        session.close()


def test_a_lease_taken_elsewhere_reaches_the_job_list(pg_url: str) -> None:
    make_team(pg_url)
    pump = Pump()
    with Project.open(pg_url) as mine, Project.open(pg_url) as theirs:
        mine.dispatcher = pump
        assert mine.watch().ready.wait(30)
        seen: list[StoreChange] = []
        mine.changed.connect(seen.append)
        theirs.acquire_job(1)
        assert pump.until(lambda: any(c.kind == "jobs" and c.job_id == 1 and c.origin is REMOTE for c in seen))
        assert mine.job_leases()[1].token != mine._lease_token


def test_a_remote_change_makes_an_untouched_session_current_again(pg_url: str) -> None:
    """A viewer with no edits of its own reloads to the new version; its next edit is not stale."""
    make_team(pg_url)
    pump = Pump()
    with Project.open(pg_url) as project:
        project.dispatcher = pump
        session = EditSession(project, 1, UndoStack())
        assert project.watch().ready.wait(30)
        write_in_another_process(pg_url, 3)
        assert pump.until(lambda: len(session.objects()) == 1)
        session.push(add_shapes(project, 1, [box()]))
        assert session.stale is None and len(project.frame_shapes(1, 0)) == 2
        session.close()


def test_poll_snapshots_and_payloads() -> None:
    before = ({1: 3, 2: 1}, frozenset({(1, "a")}))
    after = ({1: 5, 2: 1, 3: 0}, frozenset({(2, "b")}))
    assert diff_snapshots(before, after) == [RemoteChange("annotations", 1, 5), RemoteChange("jobs"),
                                             RemoteChange("jobs", 1), RemoteChange("jobs", 2)]
    assert diff_snapshots(after, after) == []
    assert parse_payload('{"k":"annotations","j":4,"r":9,"t":"other"}', "me") == RemoteChange("annotations", 4, 9)
    assert parse_payload('{"k":"annotations","j":4,"r":9,"t":"me"}', "me") is None
    assert parse_payload("not json", "me") is None


def test_watching_needs_a_dispatcher(tmp_path: Path) -> None:
    from app.storage import ProjectError

    with Project.create(tmp_path / "p.fmproj", "p") as project, pytest.raises(ProjectError, match="dispatcher"):
        project.watch()


# ---------------------------------------------------------------- a connection lost in the middle of an edit


def _kill_sessions(pg_cluster, dbname: str) -> None:
    """Terminate every session on ``dbname``, waiting (up to 5 s each) until they are gone."""
    pg_cluster.admin_execute("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                             f"WHERE datname = '{dbname}' AND pid <> pg_backend_pid()")


def test_an_edit_during_a_lost_connection_is_kept_and_saved_later(pg_cluster, pg_url: str) -> None:
    make_team(pg_url)
    dbname = pg_url.rsplit("/", 1)[1]
    with Project.open(pg_url) as project:
        session = EditSession(project, 1, UndoStack())
        session.push(add_shapes(project, 1, [box(0)]))
        pg_cluster.admin_execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS false')
        _kill_sessions(pg_cluster, dbname)
        try:
            session.push(add_shapes(project, 1, [box(10)]))
            assert session.pending is not None
            message = session.messages[-1]
            assert "was lost" in message and "nothing of this change was written" in message
            assert "is kept and saved when the server answers again" in message
            assert "Traceback" not in message
            assert not session.retry_pending()  # the server still refuses connections: still kept
            assert session.pending is not None
            session.push(add_shapes(project, 1, [box(20)]))  # a later edit waits its turn: refused, and said so
            assert "still waiting for the server" in session.messages[-1]
        finally:
            pg_cluster.admin_execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS true')
        assert session.retry_pending() and session.pending is None
        assert "is saved" in session.messages[-1]
        assert len(session.objects()) == 2  # shown once saved
        with Project.open(pg_url, read_only=True) as other:
            assert sorted(s.points[0] for s in other.frame_shapes(1, 0)) == [0, 10]
        assert session.undo() and len(project.frame_shapes(1, 0)) == 1  # and it is one undo step
        session.close()


def test_an_undo_during_a_lost_connection_stays_undoable(pg_cluster, pg_url: str) -> None:
    make_team(pg_url)
    dbname = pg_url.rsplit("/", 1)[1]
    with Project.open(pg_url) as project:
        session = EditSession(project, 1, UndoStack())
        session.push(add_shapes(project, 1, [box(0)]))
        _kill_sessions(pg_cluster, dbname)
        assert not session.undo()
        assert session.pending is not None and session.undo_stack.can_undo()
        assert session.retry_pending()  # the server is up: the next connection works
        assert project.frame_shapes(1, 0) == [] and not session.undo_stack.can_undo()
        session.close()


def test_a_raw_write_on_a_lost_connection_is_one_clear_error_and_the_handle_recovers(pg_cluster,
                                                                                      pg_url: str) -> None:
    make_team(pg_url)
    with Project.open(pg_url) as project:
        _kill_sessions(pg_cluster, pg_url.rsplit("/", 1)[1])
        with pytest.raises(ConnectionLostError, match=r"^The connection to postgresql://.* was lost"):
            project.add_shapes(1, [box()])
        project.add_shapes(1, [box()])
        assert len(project.frame_shapes(1, 0)) == 1


# Every read path: SQLAlchemy statements (the engine's handle_error hook) and the driver-level hot paths
# (app/storage/fastsql.py: raw_rows for one frame, iter_rows for a whole job).
READS: dict[str, Callable[[Project], object]] = {
    "frame shapes (fastsql raw_rows)": lambda p: [s.points for s in p.frame_shapes(1, 0)],
    "job annotations (fastsql iter_rows)": lambda p: [s.points for s in p.annotations(1).shapes],
    "project name (SQLAlchemy)": lambda p: p.name,
    "jobs (SQLAlchemy)": lambda p: [j.id for j in p.jobs()],
}


@pytest.mark.parametrize("read", list(READS.values()), ids=list(READS))
def test_a_read_on_a_lost_connection_is_one_clear_error_and_the_next_read_reconnects(
        pg_cluster, pg_url: str, read: Callable[[Project], object]) -> None:
    make_team(pg_url)
    with Project.open(pg_url) as project:
        project.add_shapes(1, [box(3)])
        expected = read(project)
        _kill_sessions(pg_cluster, pg_url.rsplit("/", 1)[1])
        with pytest.raises(ConnectionLostError, match=r"^The connection to postgresql://.* was lost") as lost:
            read(project)
        assert "try again" in str(lost.value) and "Traceback" not in str(lost.value)
        assert read(project) == expected  # reconnected
        project.add_shapes(1, [box(4)])  # and writes work again too
        assert len(project.frame_shapes(1, 0)) == 2


def test_a_write_through_sqlalchemy_on_a_lost_connection_says_nothing_was_written(pg_cluster, pg_url: str) -> None:
    make_team(pg_url)
    with Project.open(pg_url) as project:
        _kill_sessions(pg_cluster, pg_url.rsplit("/", 1)[1])
        with pytest.raises(ConnectionLostError, match=r"^The connection to postgresql://.* was lost .*nothing of "
                                                      r"this change was written"):
            project.rename("renamed")
        assert project.name == "live"
        project.rename("renamed")
        assert project.name == "renamed"


def test_a_refused_statement_is_not_taken_for_a_lost_connection(project_location: str) -> None:
    """Only a broken connection is translated: a bad statement stays the driver's error, on both engines."""
    from sqlalchemy import text
    from sqlalchemy.exc import ProgrammingError

    from app.storage.fastsql import raw_rows

    make_team(project_location)
    with Project.open(project_location) as project:
        with pytest.raises(Exception) as raw:
            raw_rows(project.conn, "SELECT * FROM no_such_table")
        assert not isinstance(raw.value, ConnectionLostError)
        if project_location.startswith("postgresql"):
            with pytest.raises(ProgrammingError):
                project.conn.execute(text("SELECT * FROM no_such_table"))
        assert project.name == "live"  # the handle is still fine
