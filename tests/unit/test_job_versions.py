"""Every write of a job's annotations bumps the job's version in its own transaction; a handle that tracks
a job has its write refused when someone else wrote the job in between (never a silent overwrite)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.domain import Shape
from app.domain.annotations import Annotations
from app.domain.project import FrameInfo
from app.storage import Project, StaleJobError
from tests.unit.test_store import make_labels

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def team(pg_url: str) -> str:
    with Project.create(pg_url, "team", make_labels()) as project:
        project.create_task("t", [FrameInfo(i, f"{i}.jpg", 10, 10) for i in range(4)])
    return pg_url


def box(x: float = 0) -> Shape:
    return Shape("rectangle", 0, 1, [x, 0, x + 1, 1])


def test_stale_write_is_refused_and_nothing_is_written(team: str) -> None:
    with Project.open(team) as mine, Project.open(team) as theirs:
        mine.add_shapes(1, [box()])
        assert mine.track_job(1) == 1
        shape = mine.frame_shapes(1, 0)[0]
        theirs.add_annotations(1, Annotations(shapes=[box(i) for i in range(500)]))  # a bulk write bumps it too
        assert theirs.job(1).revision == 2
        with pytest.raises(StaleJobError, match="reload the job, or keep yours as a copy"):
            mine.replace_annotations(1, remove_shapes=[shape.id], add=Annotations(shapes=[shape.copy(points=[5] * 4)]))
        assert len(mine.frame_shapes(1, 0)) == 501 and mine.frame_shapes(1, 0)[0].points == [0, 0, 1, 1]
        assert mine.job(1).revision == 2
        mine.track_job(1)  # reload
        mine.replace_annotations(1, remove_shapes=[shape.id], add=Annotations(shapes=[shape.copy(points=[5] * 4)]))
        mine.add_shapes(1, [box()])  # own writes keep the handle current
        assert mine.job(1).revision == 4


def test_a_rolled_back_write_does_not_move_the_version(team: str) -> None:
    with Project.open(team) as mine:
        mine.track_job(1)
        with pytest.raises(RuntimeError), mine.transaction():
            mine.add_shapes(1, [box()])
            raise RuntimeError("abort")
        mine.add_shapes(1, [box()])
        assert mine.job(1).revision == 1


def test_untracked_jobs_and_other_jobs_are_not_checked(team: str, tmp_path: Path) -> None:
    with Project.open(team) as mine, Project.open(team) as theirs:
        mine.track_job(1)
        theirs.add_shapes(1, [box()])
        mine.untrack_job(1)
        mine.add_shapes(1, [box()])
        assert mine.job(1).revision == 2


def test_a_writer_in_another_process_makes_a_tracked_write_stale(team: str) -> None:
    with Project.open(team) as mine:
        mine.track_job(1)
        writer = textwrap.dedent("""
            import sys
            from app.domain import Shape
            from app.storage import Project
            with Project.open(sys.argv[1]) as p:
                p.add_shapes(1, [Shape("rectangle", 0, 1, [0, 0, 2, 2])])
        """)
        subprocess.run([sys.executable, "-c", writer, team], cwd=ROOT, check=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
        with pytest.raises(StaleJobError) as refused:
            mine.clear_annotations(1)
        assert (refused.value.expected, refused.value.current) == (0, 1)
        assert len(mine.frame_shapes(1, 0)) == 1


def test_an_edit_session_offers_reload_or_keep_a_copy(team: str) -> None:
    from app.editing.commands import edit_shapes
    from app.editing.session import EditSession, SessionChange

    with Project.open(team) as mine, Project.open(team) as theirs:
        mine.add_shapes(1, [box()])
        session = EditSession(mine, 1)
        events: list[SessionChange] = []
        session.changed.connect(events.append)
        shape = mine.frame_shapes(1, 0)[0]
        theirs.add_shapes(1, [box(5)])
        session.push(edit_shapes(mine, 1, [shape], [shape.copy(points=[7, 7, 8, 8])]))
        assert SessionChange.STALE in events and session.stale is not None and len(session.undo_stack) == 0
        assert sorted(s.points[0] for s in mine.frame_shapes(1, 0)) == [0, 5]  # nothing was saved
        session.resolve_stale(keep_copy=True)
        stored = mine.frame_shapes(1, 0)
        assert sorted(s.points[0] for s in stored) == [0, 5, 7]
        copy = next(s for s in stored if s.points[0] == 7)
        assert copy.id != shape.id and copy.uid != shape.uid
        session.close()
