"""Commands on the undo stack write the project; undo/redo restore exact state with stable ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain import Label, Shape
from app.domain.project import FrameInfo
from app.editing import UndoStack
from app.editing.commands import add_shapes, edit_shapes, remove_shapes
from app.storage import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project.create(tmp_path / "u.fmproj", labels=[Label("car")])
    p.create_task("t", [FrameInfo(0, "a.jpg", 100, 100)])
    yield p
    p.close()


def test_add_edit_delete_undo_redo(project: Project) -> None:
    stack = UndoStack()
    label = project.labels().by_name("car").id
    cmd = stack.push(add_shapes(project, 1, [Shape("rectangle", 0, label, [0, 0, 5, 5])]))
    (shape,) = project.frame_shapes(1, 0)
    assert shape.id == cmd.after.shapes[0].id
    stack.push(edit_shapes(project, 1, [shape], [shape.copy(points=[1, 1, 6, 6])]))
    assert project.frame_shapes(1, 0)[0].points == [1, 1, 6, 6]
    stack.push(remove_shapes(project, 1, [project.frame_shapes(1, 0)[0]]))
    assert project.frame_shapes(1, 0) == []
    stack.undo()
    assert project.frame_shapes(1, 0)[0].points == [1, 1, 6, 6]
    stack.undo()
    assert project.frame_shapes(1, 0)[0].points == [0, 0, 5, 5]
    stack.undo()
    assert project.frame_shapes(1, 0) == []
    stack.redo()
    assert project.frame_shapes(1, 0)[0].id == shape.id  # redo restores the same id
    assert stack.can_redo() and stack.redo_text() == "Edit shape"


def test_history_is_at_least_1000_steps_deep(project: Project) -> None:
    stack = UndoStack()
    label = project.labels().by_name("car").id
    with project.transaction():
        for i in range(1200):
            stack.push(add_shapes(project, 1, [Shape("points", 0, label, [float(i), 0.0])]))
    assert len(stack) == 1200
    undone = 0
    with project.transaction():
        while stack.undo():
            undone += 1
    assert undone == 1200
    assert project.frame_shapes(1, 0) == []


def test_new_push_clears_redo(project: Project) -> None:
    stack = UndoStack()
    label = project.labels().by_name("car").id
    stack.push(add_shapes(project, 1, [Shape("points", 0, label, [1, 1])]))
    stack.undo()
    stack.push(add_shapes(project, 1, [Shape("points", 0, label, [2, 2])]))
    assert not stack.can_redo()


def test_edit_that_keeps_newest_id_and_adds_a_shape(project: Project) -> None:
    """Regression: new ids must start above the ids kept in the same write, not only above the table."""
    stack = UndoStack()
    label = project.labels().by_name("car").id
    stack.push(add_shapes(project, 1, [Shape("points", 0, label, [1, 1])]))
    (newest,) = project.frame_shapes(1, 0)
    stack.push(edit_shapes(project, 1, [newest], [newest.copy(points=[2, 2]), Shape("points", 0, label, [3, 3])]))
    ids = sorted(s.id for s in project.frame_shapes(1, 0))
    assert ids[0] == newest.id and ids[1] > newest.id
    stack.undo()
    assert [s.points for s in project.frame_shapes(1, 0)] == [[1, 1]]
    stack.redo()
    assert len(project.frame_shapes(1, 0)) == 2
