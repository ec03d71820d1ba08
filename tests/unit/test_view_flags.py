"""Hide, lock and pin are kept per user and job: a reopened session has them back; another job and a
damaged file start empty."""

from __future__ import annotations

from pathlib import Path

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.editing import view_flags
from app.editing.session import EditSession
from tests.support.canvas_project import make_project


def test_hidden_and_locked_survive_reopening_the_job(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    job = project.jobs()[0].id
    car = project.labels().by_name("car").id
    a, b = project.add_shapes(job, [Shape(ShapeType.RECTANGLE, 0, car, [0, 0, 10, 10]),
                                    Shape(ShapeType.RECTANGLE, 0, car, [20, 0, 30, 10])])
    session = EditSession(project, job)
    session.set_hidden([("shape", a)], True)
    session.set_locked([("shape", b)], True)
    session.set_pinned([("shape", a)], True)
    session.close()
    again = EditSession(project, job)
    assert again.is_hidden(("shape", a)) and not again.is_hidden(("shape", b))
    assert again.is_locked(("shape", b)) and not again.is_locked(("shape", a))
    assert again.is_pinned(("shape", a)) and not again.is_pinned(("shape", b))
    again.set_hidden([("shape", a)], False)
    again.close()
    third = EditSession(project, job)
    assert not third.hidden and third.locked == {("shape", b)}
    third.close()
    project.close()


def test_flags_are_per_job_and_a_damaged_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "p.fmproj"
    empty: dict = {"hidden": set(), "locked": set(), "pinned": set()}
    view_flags.save(path, 1, {"hidden": {("shape", 5)}, "locked": {("track", 2)}, "pinned": {("shape", 6)}})
    assert view_flags.load(path, 1) == {"hidden": {("shape", 5)}, "locked": {("track", 2)}, "pinned": {("shape", 6)}}
    assert view_flags.load(path, 2) == empty
    view_flags._file(path).write_text("{not json", encoding="utf-8")
    assert view_flags.load(path, 1) == empty
    view_flags._file(path).write_text('{"1": {"hidden": [["shape", "x"], ["bogus", 1], ["shape", 3]]}}')
    assert view_flags.load(path, 1) == {**empty, "hidden": {("shape", 3)}}
