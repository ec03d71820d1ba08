"""The objects sidebar's cards: every card action is a command on the job's undo stack (or the
session's view flags), tags are cards with editable attributes, and the list keeps a stable order."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.annotations import Shape, Tag
from app.domain.enums import ShapeType
from app.domain.labels import AttributeSpec, Label
from app.widgets.job_window import JobWindow
from tests.support.canvas_project import make_project

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, tmp_path: Path):
    project = make_project(tmp_path, frames=4, size=(320, 240))
    project.add_label(Label("weather", type="tag", attributes=[AttributeSpec("sky", "select", ["clear", "cloudy"])]))
    labels = project.labels()
    car = labels.by_name("car")
    job = project.jobs()[0].id
    project.add_shapes(job, [
        Shape(ShapeType.RECTANGLE, 0, car.id, [20, 20, 100, 80], z_order=0, attributes=car.default_attributes()),
        Shape(ShapeType.POLYGON, 0, car.id, [150, 20, 250, 20, 250, 120, 150, 120], z_order=1),
    ])
    weather = labels.by_name("weather")
    project.add_tags(job, [Tag(0, weather.id, attributes=weather.default_attributes())])
    w = JobWindow(project, job)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
    project.close()


def stored(w: JobWindow) -> dict[ShapeType, Shape]:
    return {s.type: s for s in w.project.frame_shapes(w.job_id, 0)}


def select(w: JobWindow, shape_type: ShapeType) -> None:
    w.session.select([("shape", stored(w)[shape_type].id)])


def test_card_shows_the_selection_and_changes_its_label_in_one_undo_step(window: JobWindow) -> None:
    card = window.object_card
    assert card.current() is None and not card.label_box.isVisible()
    select(window, ShapeType.RECTANGLE)
    assert card.label_box.isVisible() and card.label_box.currentText() == "car"
    assert not card.track_row.isVisible()  # a plain shape has no track controls
    names = [card.label_box.itemText(i) for i in range(card.label_box.count())]
    assert "road" not in names and "daytime" not in names  # only labels that accept a rectangle
    steps = len(window.undo_stack)
    window.project.add_label(Label("truck"))
    card.reload()
    card.label_box.setCurrentIndex(card.label_box.findText("truck"))
    card.label_box.activated.emit(card.label_box.currentIndex())
    truck = window.project.labels().by_name("truck").id
    assert stored(window)[ShapeType.RECTANGLE].label_id == truck
    assert len(window.undo_stack) == steps + 1
    assert card.label_box.currentText() == "truck"  # the card follows the edit
    window.trigger("edit.undo")
    assert stored(window)[ShapeType.RECTANGLE].label_id == window.project.labels().by_name("car").id


def test_card_toggles_lock_hide_occluded_and_delete(window: JobWindow) -> None:
    card = window.object_card
    select(window, ShapeType.RECTANGLE)
    key = window.session.selection()[0]
    card.buttons["edit.occluded"].click()
    assert stored(window)[ShapeType.RECTANGLE].occluded and card.buttons["edit.occluded"].isChecked()
    window.trigger("edit.undo")
    assert not stored(window)[ShapeType.RECTANGLE].occluded
    card.buttons["edit.hide"].click()
    assert window.session.is_hidden(key) and card.buttons["edit.hide"].isChecked()
    card.buttons["edit.hide"].click()
    assert not window.session.is_hidden(key)
    card.buttons["edit.lock"].click()
    assert window.session.is_locked(key)
    assert not card.buttons["edit.delete"].isEnabled() and not card.label_box.isEnabled()
    card.buttons["edit.lock"].click()
    steps = len(window.undo_stack)
    card.buttons["edit.delete"].click()
    assert ShapeType.RECTANGLE not in stored(window) and len(window.undo_stack) == steps + 1
    window.trigger("edit.undo")
    assert ShapeType.RECTANGLE in stored(window)


def test_card_attribute_edit_is_one_command(window: JobWindow) -> None:
    select(window, ShapeType.RECTANGLE)
    color = window.project.labels().by_name("car").attributes[0]
    steps = len(window.undo_stack)
    window.attributes_panel.editors[color.id].setCurrentText("blue")
    assert stored(window)[ShapeType.RECTANGLE].attributes[color.id] == "blue"
    assert len(window.undo_stack) == steps + 1
    window.trigger("edit.undo")
    assert stored(window)[ShapeType.RECTANGLE].attributes[color.id] == "red"


def test_track_card_keyframe_outside_and_keyframe_navigation(window: JobWindow) -> None:
    card = window.object_card
    select(window, ShapeType.RECTANGLE)
    window.trigger("track.from_shape")
    (track,) = window.project.tracks(window.job_id)
    window.session.select([("track", track.id)])
    assert card.track_row.isVisible() and card.buttons["track.keyframe"].isChecked()
    window.goto_frame(2)
    window.session.select([("track", track.id)])
    assert not card.buttons["track.keyframe"].isChecked()  # interpolated here
    card.buttons["track.keyframe"].click()
    assert 2 in {s.frame for s in window.project.tracks(window.job_id)[0].shapes}
    card.buttons["frame.previous_key"].click()
    assert window.frame == 0 and window.session.selection() == [("track", track.id)]
    card.buttons["frame.next_key"].click()
    assert window.frame == 2
    card.buttons["track.outside"].click()
    outside = {s.frame: s.outside for s in window.project.tracks(window.job_id)[0].shapes}
    assert outside[2] is True
    window.trigger("edit.undo")
    outside = {s.frame: s.outside for s in window.project.tracks(window.job_id)[0].shapes}
    assert outside[2] is False


def test_tag_card_edits_the_tags_attributes(window: JobWindow) -> None:
    panel, card = window.objects_panel, window.object_card
    (tag,) = window.session.tags()
    assert panel.tag_names == ["weather"] and f"tag:{tag.id}" in panel.tags.text()
    panel.tags.linkActivated.emit(f"tag:{tag.id}")
    assert card.attributes.isVisible() and "Tag weather" in card.header.text()
    sky = window.project.labels().by_name("weather").attributes[0]
    editor = window.attributes_panel.editors[sky.id]
    steps = len(window.undo_stack)
    editor.setCurrentText("cloudy")
    assert window.project.frame_tags(window.job_id, 0)[0].attributes[sky.id] == "cloudy"
    assert len(window.undo_stack) == steps + 1
    assert window.attributes_panel.editors[sky.id].currentText() == "cloudy"  # the card stays on the tag
    window.trigger("edit.undo")
    assert window.project.frame_tags(window.job_id, 0)[0].attributes[sky.id] == "clear"
    select(window, ShapeType.POLYGON)  # selecting an object leaves the tag
    assert "Tag" not in card.header.text()


def test_list_order_is_stable_by_id_and_selectable(window: JobWindow) -> None:
    panel = window.objects_panel
    ids = [o.key for o in panel.model.rows]
    assert ids == sorted(ids, key=lambda k: k[1])
    select(window, ShapeType.RECTANGLE)
    window.trigger("edit.forward")  # the rectangle goes on top: by id the rows do not move
    assert [o.key for o in panel.model.rows] == ids
    panel.order_box.setCurrentIndex(panel.order_box.findData("z"))
    assert panel.model.rows[0].shape.type is ShapeType.RECTANGLE  # top-most first
    window.canvas.zoom_1to1()
    window.canvas.zoom_by(4.0)
    panel.view.doubleClicked.emit(panel.model.index(1, 0))  # the polygon: centred in the view
    centre = window.canvas.view_to_image(window.canvas.viewport().rect().center())
    assert (centre.x(), centre.y()) == pytest.approx((200, 70), abs=3)


def test_pinned_object_keeps_its_place_but_its_vertices_move(window: JobWindow) -> None:
    from tests.support.qt_input import Mouse

    window.canvas.fit()
    window.set_tool("edit:select")
    select(window, ShapeType.POLYGON)
    window.object_card.buttons["edit.pin"].click()
    key = window.session.selection()[0]
    assert window.session.is_pinned(key) and window.object_card.buttons["edit.pin"].isChecked()
    m = Mouse(None, window.canvas)
    before = stored(window)[ShapeType.POLYGON].points
    m.drag((200, 70), (230, 90))  # the body: not moved
    assert stored(window)[ShapeType.POLYGON].points == before
    assert "pinned" in window.session.messages[-1]
    m.drag((250, 120), (270, 140))  # a vertex: edited
    points = stored(window)[ShapeType.POLYGON].points
    assert points[4:6] == pytest.approx([270, 140], abs=1.5) and points[:2] == before[:2]
    window.object_card.buttons["edit.pin"].click()
    m.drag((200, 70), (230, 90))
    assert stored(window)[ShapeType.POLYGON].points[0] == pytest.approx(before[0] + 30, abs=1.5)
