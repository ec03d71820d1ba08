"""Every drawing tool on the real canvas: mouse and key events on the viewport, results read back
from the project file, undo/redo through the window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.domain.enums import ShapeType
from app.domain.mask import mask_area
from app.widgets.job_window import JobWindow
from tests.support.canvas_project import make_project
from tests.support.qt_input import Mouse

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, tmp_path: Path):
    project = make_project(tmp_path, frames=4, size=(320, 240))
    w = JobWindow(project, project.jobs()[0].id)
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitExposed(w)
    w.canvas.fit()
    yield w
    w.close()
    project.close()


def stored(w: JobWindow, frame: int | None = None):
    return w.project.frame_shapes(w.job_id, w.frame if frame is None else frame)


def use(w: JobWindow, tool_id: str, label: str = "car") -> Mouse:
    w.session.current_label_id = w.project.labels().by_name(label).id
    w.set_tool(tool_id)
    return Mouse(None, w.canvas)


def test_rectangle_drag_then_undo_redo_with_keys(window: JobWindow, qtbot) -> None:
    m = use(window, "draw:rectangle")
    m.drag((20, 30), (120, 90))
    (shape,) = stored(window)
    assert shape.type is ShapeType.RECTANGLE
    assert shape.points == pytest.approx([20, 30, 120, 90], abs=1.0)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert stored(window) == [] and len(window.session.objects()) == 0
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert len(stored(window)) == 1 and len(window.session.objects()) == 1


def test_rectangle_two_clicks(window: JobWindow) -> None:
    m = use(window, "draw:rectangle")
    m.click(200, 100)
    m.move(150, 50)
    m.click(150, 50)
    assert stored(window)[0].points == pytest.approx([150, 50, 200, 100], abs=1.0)


def test_polygon_clicks_backspace_n_and_escape(window: JobWindow, qtbot) -> None:
    m = use(window, "draw:polygon")
    for x, y in [(10, 10), (100, 10), (100, 100), (50, 150)]:
        m.click(x, y)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Backspace)
    qtbot.keyClick(window.canvas, Qt.Key.Key_N)
    (shape,) = stored(window)
    assert shape.type is ShapeType.POLYGON and len(shape.points) == 6
    for x, y in [(150, 10), (200, 10)]:
        m.click(x, y)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    qtbot.keyClick(window.canvas, Qt.Key.Key_N)
    assert len(stored(window)) == 1
    assert window.canvas.tool.tool_id == "draw:polygon"  # N with nothing drawn re-arms the tool


def test_polygon_double_click_finishes(window: JobWindow) -> None:
    m = use(window, "draw:polygon")
    m.click(10, 10)
    m.click(80, 10)
    m.double_click(80, 80)
    assert stored(window)[0].points == pytest.approx([10, 10, 80, 10, 80, 80], abs=1.0)


def test_polyline_points_ellipse(window: JobWindow, qtbot) -> None:
    m = use(window, "draw:polyline")
    m.click(10, 200)
    m.click(60, 180)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    m = use(window, "draw:points")
    for x in (20, 40, 60):
        m.click(x, 20)
    qtbot.keyClick(window.canvas, Qt.Key.Key_N)
    m = use(window, "draw:ellipse")
    m.drag((200, 100), (280, 160))
    by_type = {s.type: s for s in stored(window)}
    assert len(by_type[ShapeType.POLYLINE].points) == 4
    assert len(by_type[ShapeType.POINTS].points) == 6
    assert by_type[ShapeType.ELLIPSE].points == pytest.approx([240, 130, 280, 100], abs=1.0)


def test_mask_strokes_one_shape_eraser_and_undo(window: JobWindow, qtbot) -> None:
    m = use(window, "draw:mask", "road")
    m.drag((20, 20), (150, 20))
    m.drag((20, 60), (150, 60))
    (shape,) = stored(window)
    area = mask_area(shape.points)
    assert shape.type is ShapeType.MASK and area > 0
    qtbot.keyClick(window.canvas, Qt.Key.Key_E)  # the mask tool takes E: eraser
    m.drag((80, 0), (80, 80))
    (erased,) = stored(window)
    assert erased.id == shape.id and mask_area(erased.points) < area
    window.trigger("edit.undo")
    assert mask_area(stored(window)[0].points) == area
    window.toolbar.mask_mode.setCurrentText("brush")
    window.toolbar.brush_size.setValue(3)
    qtbot.keyClick(window.canvas, Qt.Key.Key_N)  # finish this mask: the next stroke starts another
    m.drag((20, 150), (100, 150))
    assert len(stored(window)) == 2
    thin = next(s for s in stored(window) if s.id != shape.id)
    assert 0 < mask_area(thin.points) < 600 < area  # a 3 px brush paints far less than the default 10 px


def test_skeleton_and_keypoint_outside(window: JobWindow) -> None:
    m = use(window, "draw:skeleton", "person")
    m.drag((50, 50), (150, 150))
    (shape,) = stored(window)
    assert shape.type is ShapeType.SKELETON and len(shape.elements) == 3
    kp = shape.elements[0].points
    use(window, "edit:select")
    m.click(kp[0], kp[1])
    m.click(kp[0], kp[1], mods=Qt.KeyboardModifier.AltModifier)
    head = next(e for e in stored(window)[0].elements if e.label_id == shape.elements[0].label_id)
    assert head.outside
    m.click(kp[0], kp[1], mods=Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier)
    head = next(e for e in stored(window)[0].elements if e.label_id == shape.elements[0].label_id)
    assert head.occluded


def test_tag_tool(window: JobWindow) -> None:
    m = use(window, "draw:tag", "daytime")
    m.click(10, 10)
    tags = window.project.frame_tags(window.job_id, window.frame)
    assert [t.label_id for t in tags] == [window.project.labels().by_name("daytime").id]
    assert window.objects_panel.tag_names == ["daytime"]
    window.objects_panel.clear_tags.click()
    assert window.project.frame_tags(window.job_id, window.frame) == []
    assert window.objects_panel.tag_names == []
    window.trigger("edit.undo")
    assert len(window.project.frame_tags(window.job_id, window.frame)) == 1


def test_track_mode_draw_interpolate_and_keyframe_on_edit(window: JobWindow) -> None:
    window.trigger("track.mode")
    m = use(window, "draw:rectangle")
    m.drag((10, 10), (50, 50))
    (track,) = window.project.tracks(window.job_id)
    window.goto_frame(2)
    use(window, "edit:select")
    m.drag((30, 30), (70, 30))  # move the (held) state on frame 2: a new keyframe
    (track,) = window.project.tracks(window.job_id)
    assert sorted(s.frame for s in track.shapes) == [0, 2]
    window.goto_frame(1)
    (obj,) = list(window.session.objects())
    assert obj.is_track and not obj.keyframe
    assert obj.shape.points == pytest.approx([30, 10, 70, 50], abs=1.0)  # halfway
    window.session.select([obj.key])
    window.trigger("frame.next_key")
    assert window.frame == 2
    window.trigger("frame.previous_key")
    assert window.frame == 0
