"""Track actions of the job window: shape -> track, keyframe toggle, outside and re-entry, split,
merge; every one is one undo step."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.widgets.job_window import JobWindow
from tests.support.canvas_project import make_project

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, tmp_path: Path):
    project = make_project(tmp_path, frames=6, size=(200, 150))
    car = project.labels().by_name("car").id
    project.add_shapes(project.jobs()[0].id, [Shape(ShapeType.RECTANGLE, 0, car, [10, 10, 40, 40])])
    w = JobWindow(project, project.jobs()[0].id)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
    project.close()


def only_key(w: JobWindow):
    (obj,) = list(w.session.objects())
    return obj.key


def test_shape_to_track_outside_reentry_keyframe_split_merge(window: JobWindow) -> None:
    w = window
    w.session.select([only_key(w)])
    w.trigger("track.from_shape")
    (track,) = w.project.tracks(w.job_id)
    assert w.project.frame_shapes(w.job_id, 0) == []
    w.session.select([("track", track.id)])
    w.goto_frame(2)
    w.session.select([("track", track.id)])
    w.trigger("track.keyframe")  # pin the held state as a keyframe
    assert sorted(s.frame for s in w.project.tracks(w.job_id)[0].shapes) == [0, 2]
    w.goto_frame(3)
    w.session.select([("track", track.id)])
    w.trigger("track.outside")
    w.goto_frame(4)
    assert len(w.session.objects()) == 0  # outside from frame 3 on
    w.trigger("track.outside")  # nothing selected: re-entry of the last selected track
    assert len(w.session.objects()) == 1
    steps = len(w.undo_stack)
    w.session.select([("track", track.id)])
    w.trigger("track.split")
    assert len(w.project.tracks(w.job_id)) == 2 and len(w.undo_stack) == steps + 1
    w.trigger("edit.undo")
    assert len(w.project.tracks(w.job_id)) == 1
    w.trigger("edit.redo")
    assert len(w.project.tracks(w.job_id)) == 2
    later = [o.key for o in w.session.objects()]
    w.session.select(later)
    w.trigger("track.merge")  # remembers the later part
    assert w.edit.merge_pending == [later[0][1]]
    w.goto_frame(1)
    earlier = [o.key for o in w.session.objects()]
    assert earlier and earlier != later
    w.session.select(earlier)
    w.trigger("track.merge")
    (merged,) = w.project.tracks(w.job_id)
    assert {0, 2, 3, 4} <= {s.frame for s in merged.shapes}


def test_shortcuts_dialog_lists_and_rebinds(window: JobWindow, qtbot) -> None:
    from PySide6.QtGui import QKeySequence
    from PySide6.QtWidgets import QKeySequenceEdit

    from app import settings
    from app.widgets.shortcuts import SHORTCUTS, ShortcutsDialog, bindings, conflicts

    assert not conflicts(bindings())
    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == len(SHORTCUTS)
    editor = dialog.table.findChild(QKeySequenceEdit, "frame.next")
    editor.setKeySequence(QKeySequence("Ctrl+Right"))
    dialog._save()
    assert settings.load().shortcuts == {"frame.next": "Ctrl+Right"}
    fresh = JobWindow(window.project, window.job_id)
    qtbot.addWidget(fresh)
    assert fresh.actions_by_id["frame.next"].shortcut().toString() == "Ctrl+Right"
    fresh.close()
    dialog2 = ShortcutsDialog(window)
    qtbot.addWidget(dialog2)
    dialog2.table.findChild(QKeySequenceEdit, "frame.previous").setKeySequence(QKeySequence("G"))
    assert "G" in dialog2.warning.text()  # G already groups
