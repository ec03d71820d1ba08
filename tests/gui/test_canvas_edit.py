"""Editing on the real canvas: select, move, vertices, rotation, delete, copy/paste to another frame,
propagate, z-order, group, hide/lock, occluded, label change, attributes, cancel, view controls."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QLabel

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.domain.geometry import rotation_handle
from app.widgets.job_window import JobWindow
from tests.support.canvas_project import make_project
from tests.support.qt_input import Mouse

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, tmp_path: Path):
    project = make_project(tmp_path, frames=4, size=(320, 240))
    labels = project.labels()
    car = labels.by_name("car").id
    project.add_shapes(project.jobs()[0].id, [
        Shape(ShapeType.RECTANGLE, 0, car, [20, 20, 100, 80], attributes=labels.by_name("car").default_attributes()),
        Shape(ShapeType.POLYGON, 0, car, [150, 20, 250, 20, 250, 120, 150, 120]),
    ])
    w = JobWindow(project, project.jobs()[0].id)
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitExposed(w)
    w.canvas.fit()
    w.set_tool("edit:select")
    yield w
    w.close()
    project.close()


def shapes(w: JobWindow, frame: int = 0) -> dict[ShapeType, Shape]:
    return {s.type: s for s in w.project.frame_shapes(w.job_id, frame)}


def mouse(w: JobWindow) -> Mouse:
    return Mouse(None, w.canvas)


def test_click_selects_and_drag_moves_in_one_step(window: JobWindow) -> None:
    m = mouse(window)
    m.click(60, 50)
    assert window.session.selection() == [("shape", shapes(window)[ShapeType.RECTANGLE].id)]
    before = len(window.undo_stack)
    m.drag((60, 50), (90, 70))
    assert shapes(window)[ShapeType.RECTANGLE].points == pytest.approx([50, 40, 130, 100], abs=1.0)
    assert len(window.undo_stack) == before + 1
    window.trigger("edit.undo")
    assert shapes(window)[ShapeType.RECTANGLE].points == [20, 20, 100, 80]


def test_escape_during_drag_cancels(window: JobWindow, qtbot) -> None:
    m = mouse(window)
    m.click(60, 50)
    m.press(60, 50)
    m.move(80, 60, buttons=Qt.MouseButton.LeftButton)
    m.move(100, 70, buttons=Qt.MouseButton.LeftButton)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    m.release(100, 70)
    assert shapes(window)[ShapeType.RECTANGLE].points == [20, 20, 100, 80]
    assert window.canvas.preview is None


def test_vertex_drag_insert_and_delete(window: JobWindow) -> None:
    m = mouse(window)
    m.click(200, 70)  # inside the polygon
    m.drag((250, 120), (280, 150))  # drag its third vertex
    poly = shapes(window)[ShapeType.POLYGON]
    assert poly.points[4:6] == pytest.approx([280, 150], abs=1.0)
    m.double_click(200, 20)  # on the top edge
    poly = shapes(window)[ShapeType.POLYGON]
    assert len(poly.points) == 10 and poly.points[2:4] == pytest.approx([200, 20], abs=1.0)
    m.click(200, 20, mods=Qt.KeyboardModifier.AltModifier)
    assert len(shapes(window)[ShapeType.POLYGON].points) == 8


def test_rotation_handle_and_rectangle_corner(window: JobWindow) -> None:
    m = mouse(window)
    m.click(60, 50)
    m.drag((100, 80), (120, 100))  # bottom-right corner
    rect = shapes(window)[ShapeType.RECTANGLE]
    assert rect.points == pytest.approx([20, 20, 120, 100], abs=1.0)
    hx, hy = rotation_handle(rect, window.canvas.scale_factor)
    m.drag((hx, hy), (170, 60))  # to the right of the centre: +90 degrees
    assert shapes(window)[ShapeType.RECTANGLE].rotation == pytest.approx(90, abs=3)


def test_delete_key_and_band_selection(window: JobWindow, qtbot) -> None:
    m = mouse(window)
    m.drag((5, 5), (300, 200))  # rubber band around both
    assert len(window.session.selection()) == 2
    qtbot.keyClick(window.canvas, Qt.Key.Key_Delete)
    assert shapes(window) == {}
    window.trigger("edit.undo")
    assert len(shapes(window)) == 2


def test_copy_paste_onto_another_frame_and_propagate(window: JobWindow) -> None:
    m = mouse(window)
    m.click(60, 50)
    window.trigger("edit.copy")
    window.goto_frame(2)
    window.trigger("edit.paste")
    assert shapes(window, 2)[ShapeType.RECTANGLE].points == [20, 20, 100, 80]
    window.goto_frame(0)
    m.click(200, 70)
    window.toolbar.propagate_count.setValue(2)
    window.trigger("edit.propagate")
    assert ShapeType.POLYGON in shapes(window, 1) and ShapeType.POLYGON in shapes(window, 2)
    assert ShapeType.POLYGON not in shapes(window, 3)


def test_z_order_group_occluded_label_and_attributes(window: JobWindow) -> None:
    m = mouse(window)
    m.click(60, 50)
    window.trigger("edit.forward")
    s = shapes(window)
    assert s[ShapeType.RECTANGLE].z_order > s[ShapeType.POLYGON].z_order
    window.trigger("edit.backward")
    s = shapes(window)
    assert s[ShapeType.RECTANGLE].z_order < s[ShapeType.POLYGON].z_order
    m.click(200, 70, mods=Qt.KeyboardModifier.ShiftModifier)
    window.trigger("edit.group")
    s = shapes(window)
    assert s[ShapeType.RECTANGLE].group == s[ShapeType.POLYGON].group > 0
    window.trigger("edit.ungroup")
    assert shapes(window)[ShapeType.RECTANGLE].group == 0
    window.trigger("edit.occluded")
    assert shapes(window)[ShapeType.RECTANGLE].occluded
    m.click(60, 50)
    color = next(a for a in window.project.labels().by_name("car").attributes if a.name == "color")
    window.attributes_panel.editors[color.id].setCurrentText("blue")
    assert shapes(window)[ShapeType.RECTANGLE].attributes[color.id] == "blue"
    road = window.project.labels().by_name("road").id
    window.labels_panel.set_current(road)
    window.labels_panel.apply.click()  # road is a mask label: refused with a message
    assert shapes(window)[ShapeType.RECTANGLE].label_id != road
    assert "does not accept" in window.statusBar().currentMessage()


def test_hide_and_lock(window: JobWindow) -> None:
    m = mouse(window)
    m.click(60, 50)
    key = window.session.selection()[0]
    window.trigger("edit.lock")
    m.drag((60, 50), (90, 70))
    assert shapes(window)[ShapeType.RECTANGLE].points == [20, 20, 100, 80]
    window.trigger("edit.lock")
    window.trigger("edit.hide")
    assert window.session.is_hidden(key)
    m.click(60, 50)
    assert window.session.selection() == []  # hidden objects are not hit


def test_objects_panel_filter_and_click_select(window: JobWindow) -> None:
    panel = window.objects_panel
    assert len(panel.model.rows) == 2
    panel.set_filters(shape_type="polygon")
    assert [o.shape.type for o in panel.model.rows] == [ShapeType.POLYGON]
    panel.view.clicked.emit(panel.model.index(0, 0))
    assert window.session.selection() == [panel.model.rows[0].key]


def test_zoom_pan_fit(window: JobWindow) -> None:
    canvas = window.canvas
    fit = canvas.scale_factor
    pos = canvas.image_to_view(100, 100)
    event = QWheelEvent(pos, canvas.viewport().mapToGlobal(pos), QPoint(), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas.viewport(), event)
    assert canvas.scale_factor == pytest.approx(fit * 1.25 ** 2, rel=1e-3)
    after = canvas.view_to_image(pos)
    assert (after.x(), after.y()) == pytest.approx((100, 100), abs=1.0)  # zoom under the cursor
    m = mouse(window)
    m.drag((100, 100), (120, 100), button=Qt.MouseButton.MiddleButton)
    moved = canvas.view_to_image(pos)
    assert moved.x() == pytest.approx(80, abs=1.5)
    window.trigger("view.one")
    assert canvas.scale_factor == 1.0
    window.trigger("view.fit")
    assert canvas.scale_factor == pytest.approx(fit)
    assert shapes(window)[ShapeType.RECTANGLE].points == [20, 20, 100, 80]  # panning edited nothing


def test_goto_frame_highlight_and_side_panel(window: JobWindow) -> None:
    poly = shapes(window)[ShapeType.POLYGON]
    window.goto_frame(3)
    assert window.frame == 3 and len(window.session.objects()) == 0
    seen: list[int] = []
    window.frame_changed.connect(seen.append)
    window.goto_frame(0, highlight_ids=[poly.id])
    assert seen == [0] and window.session.selection() == [("shape", poly.id)]
    dock = window.add_side_panel(QLabel("quality"), "Quality")
    assert dock.widget().text() == "quality" and dock.toggleViewAction() in window.view_menu.actions()
    window.trigger("frame.next")
    assert window.frame == 1
    window.trigger("frame.previous")
    assert window.frame == 0


def test_adjustments_are_display_only(window: JobWindow) -> None:
    raw = window.canvas.image().copy()
    window.adjustments_panel.equalize.setChecked(True)
    assert (window.canvas.image() == raw).all()
    assert not (window.canvas.image(adjusted=True) == raw).all()
    window.goto_frame(1)  # stays on for the following frames
    assert window.canvas.adjust is not None
    window.adjustments_panel.reset()
    assert window.canvas.adjust is None


def test_attribute_editors_for_every_type(window: JobWindow) -> None:
    from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QLineEdit, QRadioButton

    mouse(window).click(60, 50)
    car = window.project.labels().by_name("car")
    spec = {a.name: a for a in car.attributes}
    editors = window.attributes_panel.editors
    assert set(editors) == {a.id for a in car.attributes}  # every attribute, defaults shown
    checkbox = editors[spec["parked"].id]
    assert isinstance(checkbox, QCheckBox) and not checkbox.isChecked()
    checkbox.setChecked(True)
    number = window.attributes_panel.editors[spec["doors"].id]
    assert isinstance(number, QDoubleSpinBox) and (number.minimum(), number.maximum()) == (2, 5)
    number.setValue(4)
    number.editingFinished.emit()
    radios = window.attributes_panel.editors[spec["kind"].id].findChildren(QRadioButton)
    next(r for r in radios if r.text() == "van").setChecked(True)
    text = window.attributes_panel.editors[spec["note"].id]
    assert isinstance(text, QLineEdit)
    text.setText("dented")
    text.editingFinished.emit()
    stored = shapes(window)[ShapeType.RECTANGLE].attributes
    assert stored[spec["parked"].id] == "true" and stored[spec["doors"].id] == "4"
    assert stored[spec["kind"].id] == "van" and stored[spec["note"].id] == "dented"
    for _ in range(4):
        window.trigger("edit.undo")
    assert shapes(window)[ShapeType.RECTANGLE].attributes == car.default_attributes()


def test_objects_panel_hide_and_lock_toggles(window: JobWindow) -> None:
    model = window.objects_panel.model
    row = next(i for i, o in enumerate(model.rows) if o.shape.type is ShapeType.RECTANGLE)
    key = model.rows[row].key
    from app.widgets.panels.objects import HIDE, LOCK

    model.setData(model.index(row, HIDE), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    model.setData(model.index(row, LOCK), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert window.session.is_hidden(key) and window.session.is_locked(key)
    window.trigger("edit.hide_all")
    assert all(window.session.is_hidden(o.key) for o in window.session.objects())
    window.trigger("edit.hide_all")
    assert not any(window.session.is_hidden(o.key) for o in window.session.objects())


def test_object_rows_are_collapsed_cards_label_pin_occluded(window: JobWindow, qtbot) -> None:
    """A row changes its object's label (a dropdown of the labels that fit its type) and toggles pin and
    occluded, each edit on that row's object and one undo step, as the expanded card does."""
    from app.domain.enums import LabelType
    from app.domain.labels import Label
    from app.widgets.panels.objects import LABEL, OCCLUDED, PIN, LabelDelegate

    truck = window.project.add_label(Label("truck", "#00ff00", LabelType.ANY))
    window.session.select([])
    model = window.objects_panel.model
    row = next(i for i, o in enumerate(model.rows) if o.shape.type is ShapeType.POLYGON)
    key = model.rows[row].key
    editor = LabelDelegate(window.session).createEditor(window, None, model.index(row, LABEL))
    offered = [editor.itemText(i) for i in range(editor.count())]
    assert "truck" in offered and "car" in offered and "road" not in offered  # road is masks only
    assert model.setData(model.index(row, LABEL), truck.id, Qt.ItemDataRole.EditRole)
    qtbot.waitUntil(lambda: shapes(window)[ShapeType.POLYGON].label_id == truck.id)
    assert window.session.selection() == [key]  # the row's object, not whatever was selected
    row = next(i for i, o in enumerate(model.rows) if o.key == key)
    model.setData(model.index(row, OCCLUDED), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    qtbot.waitUntil(lambda: shapes(window)[ShapeType.POLYGON].occluded)
    row = next(i for i, o in enumerate(model.rows) if o.key == key)
    assert model.data(model.index(row, OCCLUDED), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    model.setData(model.index(row, PIN), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert window.session.is_pinned(key)
    window.trigger("edit.undo")
    assert not shapes(window)[ShapeType.POLYGON].occluded
    window.trigger("edit.undo")
    assert shapes(window)[ShapeType.POLYGON].label_id == window.project.labels().by_name("car").id
