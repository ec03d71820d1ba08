"""The job's editing model without Qt: the session follows the undo stack (whoever pushed), tells its
listeners what changed, and reloads when somebody else writes the project; the stack's event carries
the command and its direction; the interactor options tell which option changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.editing.commands import add_shapes
from app.editing.session import EditSession, SessionChange
from app.editing.stack import Direction, StackChange, UndoStack
from app.tools.ai_options import InteractorOptions, Option
from app.tools.base import CursorRole, Preview
from app.tools.host import plain_host
from tests.support.canvas_project import make_project


@pytest.fixture
def session(tmp_path: Path):
    project = make_project(tmp_path)
    s = EditSession(project, project.jobs()[0].id)
    yield s
    s.close()
    project.close()


def _rect(s: EditSession, x: float) -> Shape:
    return Shape(ShapeType.RECTANGLE, s.frame, s.labels.by_name("car").id, [x, 10, x + 20, 30])


def test_stack_event_carries_command_and_direction() -> None:
    stack, seen = UndoStack(), []
    stack.changed.connect(seen.append)

    class Note:
        text = "note"

        def redo(self) -> None: ...

        def undo(self) -> None: ...

    note = Note()
    stack.push(note)  # type: ignore[arg-type]
    stack.undo()
    stack.redo()
    stack.clear()
    assert seen == [StackChange(note, Direction.DO), StackChange(note, Direction.UNDO),  # type: ignore[arg-type]
                    StackChange(note, Direction.REDO), StackChange(None, Direction.CLEAR)]
    assert [c.forward for c in seen] == [True, False, True, True]
    stack.push(note)  # type: ignore[arg-type]
    assert stack.discard(note) and len(stack) == 0  # type: ignore[arg-type]
    assert seen[-1] == StackChange(note, Direction.DISCARD)  # type: ignore[arg-type]
    assert not stack.discard(note)  # type: ignore[arg-type]  (no longer the newest step)


def test_commands_pushed_on_the_stack_by_others_show_in_the_session(session: EditSession) -> None:
    changes: list[SessionChange] = []
    session.changed.connect(changes.append)
    command = add_shapes(session.project, session.job_id, [_rect(session, 10)])
    session.undo_stack.push(command)  # e.g. the detectors tab, not through the session
    (obj,) = list(session.objects())
    assert obj.key == ("shape", command.after.shapes[0].id) and SessionChange.OBJECTS in changes
    session.undo_stack.undo()
    assert len(session.objects()) == 0
    assert session.redo() and len(session.objects()) == 1


def test_own_edits_are_applied_once_and_foreign_writes_reload(session: EditSession) -> None:
    changes: list[SessionChange] = []
    session.changed.connect(changes.append)
    session.push(add_shapes(session.project, session.job_id, [_rect(session, 10)]))
    assert changes == [SessionChange.OBJECTS]  # the store's echo of the session's own edit is ignored
    session.project.add_shapes(session.job_id, [_rect(session, 50)])  # somebody else writes the project
    assert len(session.objects()) == 2 and changes == [SessionChange.OBJECTS] * 2
    with session.project.writes_as(object()):  # another writer naming itself is not the session either
        session.project.add_shapes(session.job_id, [_rect(session, 90)])
    assert len(session.objects()) == 3 and changes == [SessionChange.OBJECTS] * 3
    session.undo()  # the session's own undo: applied from the command, no reload
    assert len(session.objects()) == 2 and changes == [SessionChange.OBJECTS] * 4


def test_selection_flags_and_status_are_told(session: EditSession) -> None:
    session.push(add_shapes(session.project, session.job_id, [_rect(session, 10)]))
    key = next(iter(session.objects())).key
    changes: list[SessionChange] = []
    texts: list[str] = []
    session.changed.connect(changes.append)
    session.status_posted.connect(texts.append)
    session.select([key, ("shape", 999_999)])  # keys not on the frame are dropped
    session.set_hidden([key], True)
    session.set_locked([key], True)
    session.status("hello")
    assert session.selection() == [key] and session.is_hidden(key) and session.is_locked(key)
    assert changes == [SessionChange.SELECTION, SessionChange.FLAGS, SessionChange.FLAGS] and texts == ["hello"]


def test_plain_view_port_keeps_preview_cursor_and_frame_size(session: EditSession) -> None:
    host = plain_host(session)
    host.view.set_preview(Preview(text="draft"))
    host.view.set_cursor(CursorRole.CROSS)
    assert host.view.preview.text == "draft" and host.view.cursor is CursorRole.CROSS
    assert host.view.image().shape == (120, 160, 3) and host.view.hit_tolerance(6) == 6


def test_interactor_options_tell_which_option_changed() -> None:
    options, seen = InteractorOptions(), []
    options.changed.connect(seen.append)
    options.set(max_points=10_000, output="mask")
    options.set(output=ShapeType.MASK)  # unchanged: not told
    assert seen == [Option.MAX_POINTS, Option.OUTPUT] and options.max_points == 300
    with pytest.raises(AttributeError):
        options.set(changed=None)
