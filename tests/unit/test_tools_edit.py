"""The select/edit tool and the editing commands, against a real project through an EditSession."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.domain.geometry import HitKind, move_vertex, rect_corners, rotation_handle
from app.editing import actions
from app.editing.frame_objects import FrameObject, FrameObjects
from app.editing.session import EditSession
from app.tools.base import Button, EventKind, KeyEvent, Modifier, ToolEvent
from app.tools.host import plain_host
from app.tools.select import SelectTool
from tests.support.canvas_project import make_project


@pytest.fixture
def session(tmp_path: Path):
    project = make_project(tmp_path)
    job = project.jobs()[0]
    car = project.labels().by_name("car")
    project.add_shapes(job.id, [
        Shape(ShapeType.RECTANGLE, 0, car.id, [10, 10, 50, 40], attributes=car.default_attributes()),
        Shape(ShapeType.POLYGON, 0, car.id, [60, 10, 100, 10, 100, 50, 60, 50], z_order=1),
    ])
    s = EditSession(project, job.id)
    s.current_label_id = car.id
    tool = SelectTool()
    tool.activate(plain_host(s))
    s.tool = tool  # type: ignore[attr-defined]
    yield s
    s.close()
    project.close()


def ev(kind: EventKind, x: float, y: float, mods: Modifier = Modifier.NONE) -> ToolEvent:
    held = Button.LEFT if kind in (EventKind.PRESS, EventKind.MOVE) else Button.NONE
    return ToolEvent(kind, x, y, button=Button.LEFT, buttons=held, modifiers=mods)


def drag(tool: SelectTool, a: tuple[float, float], b: tuple[float, float], mods: Modifier = Modifier.NONE) -> None:
    tool.press(ev(EventKind.PRESS, *a, mods))
    tool.move(ev(EventKind.MOVE, (a[0] + b[0]) / 2, (a[1] + b[1]) / 2, mods))
    tool.move(ev(EventKind.MOVE, *b, mods))
    tool.release(ev(EventKind.RELEASE, *b, mods))


def click(tool: SelectTool, x: float, y: float, mods: Modifier = Modifier.NONE) -> None:
    tool.press(ev(EventKind.PRESS, x, y, mods))
    tool.release(ev(EventKind.RELEASE, x, y, mods))


def by_type(s: EditSession) -> dict[ShapeType, Shape]:
    return {x.type: x for x in s.project.frame_shapes(s.job_id, s.frame)}


def objs(s: EditSession) -> list[FrameObject]:
    return [s.objects().get(k) for k in s.selection()]  # type: ignore[misc]


def test_move_is_one_command_and_undoes(session: EditSession) -> None:
    drag(session.tool, (30, 25), (40, 35))
    assert by_type(session)[ShapeType.RECTANGLE].points == [20, 20, 60, 50]
    assert len(session.undo_stack) == 1 and session.objects().get(session.selection()[0]).shape.points[0] == 20
    session.undo()
    assert by_type(session)[ShapeType.RECTANGLE].points == [10, 10, 50, 40]


def test_escape_mid_drag_leaves_store_untouched(session: EditSession) -> None:
    tool = session.tool
    tool.press(ev(EventKind.PRESS, 30, 25))
    tool.move(ev(EventKind.MOVE, 45, 35))
    assert tool.key(KeyEvent("Escape"))
    tool.release(ev(EventKind.RELEASE, 45, 35))
    assert by_type(session)[ShapeType.RECTANGLE].points == [10, 10, 50, 40] and len(session.undo_stack) == 0


def test_vertex_drag_insert_delete(session: EditSession) -> None:
    click(session.tool, 80, 30)
    drag(session.tool, (100, 50), (110, 60))
    assert by_type(session)[ShapeType.POLYGON].points[4:6] == [110, 60]
    session.tool.double_click(ev(EventKind.DOUBLE_CLICK, 80, 10))
    poly = by_type(session)[ShapeType.POLYGON]
    assert len(poly.points) == 10 and poly.points[2:4] == [80, 10]
    click(session.tool, 80, 10, Modifier.ALT)
    assert len(by_type(session)[ShapeType.POLYGON].points) == 8


def test_band_select_shift_toggle_and_delete(session: EditSession) -> None:
    drag(session.tool, (0, 0), (120, 60))
    assert len(session.selection()) == 2
    click(session.tool, 30, 25, Modifier.SHIFT)  # toggles the rectangle out
    assert [k for k in session.selection()] == [("shape", by_type(session)[ShapeType.POLYGON].id)]
    assert session.tool.key(KeyEvent("Delete"))
    assert list(by_type(session)) == [ShapeType.RECTANGLE]


def test_locked_objects_do_not_move(session: EditSession) -> None:
    click(session.tool, 30, 25)
    session.locked.add(session.selection()[0])
    drag(session.tool, (30, 25), (40, 35))
    assert by_type(session)[ShapeType.RECTANGLE].points == [10, 10, 50, 40]
    assert "locked" in session.messages[-1]


def test_rotation_handle(session: EditSession) -> None:
    click(session.tool, 30, 25)
    rect = by_type(session)[ShapeType.RECTANGLE]
    hx, hy = rotation_handle(rect, 1.0)
    drag(session.tool, (hx, hy), (80, 25))
    assert by_type(session)[ShapeType.RECTANGLE].rotation == pytest.approx(90)


def test_actions_paste_propagate_z_group_label_occluded_attribute(session: EditSession) -> None:
    click(session.tool, 30, 25)
    rect = objs(session)[0]
    session.load_frame(2)
    session.push(actions.paste_command(session, [rect.shape]))
    assert by_type(session)[ShapeType.RECTANGLE].frame == 2
    session.load_frame(0)
    session.push(actions.propagate_command(session, [session.objects().get(rect.key)], 2))
    assert all(ShapeType.RECTANGLE in {x.type for x in session.project.frame_shapes(session.job_id, f)}
               for f in (1, 2))
    session.push(actions.z_order_command(session, [session.objects().get(rect.key)], True))
    assert by_type(session)[ShapeType.RECTANGLE].z_order == 2
    both = list(session.objects())
    session.push(actions.group_command(session, both))
    assert len({x.group for x in by_type(session).values()}) == 1 and by_type(session)[ShapeType.RECTANGLE].group
    session.push(actions.occluded_command(session, [session.objects().get(rect.key)]))
    assert by_type(session)[ShapeType.RECTANGLE].occluded
    with pytest.raises(actions.EditError, match="does not accept"):
        actions.change_label_command(session, both, session.labels.by_name("road").id)
    color = session.labels.by_name("car").attribute("color")
    session.push(actions.attribute_command(session, session.objects().get(rect.key), color.id, "blue"))
    assert by_type(session)[ShapeType.RECTANGLE].attributes[color.id] == "blue"
    with pytest.raises(actions.EditError, match="not one of"):
        actions.attribute_command(session, session.objects().get(rect.key), color.id, "green")


def test_track_edit_sets_a_keyframe(session: EditSession) -> None:
    session.track_mode = True
    session.push(actions.new_object_command(session, actions.make_shape(session, ShapeType.RECTANGLE, [0, 0, 10, 10])))
    session.load_frame(4)
    obj = next(o for o in session.objects() if o.is_track)
    assert not obj.keyframe
    session.push(actions.edit_object_command(session, obj, obj.shape.copy(points=[40, 40, 50, 50])))
    (track,) = session.project.tracks(session.job_id)
    assert [s.frame for s in track.shapes] == [0, 4]
    session.load_frame(2)
    mid = next(o for o in session.objects() if o.is_track)
    assert mid.shape.points == pytest.approx([20, 20, 30, 30])


def test_hit_prefers_selected_handles_and_skips_hidden() -> None:
    top = FrameObject(("shape", 2), Shape(ShapeType.RECTANGLE, 0, 1, [0, 0, 20, 20], z_order=2))
    low = FrameObject(("shape", 1), Shape(ShapeType.POLYGON, 0, 1, [5, 5, 15, 5, 15, 15]))
    objects = FrameObjects([top, low])
    assert objects.hit(10, 10, 2)[0] is top
    assert objects.hit(15, 5, 2, prefer=[low.key])[1].kind is HitKind.VERTEX
    assert objects.hit(10, 10, 2, skip=[top.key])[0] is low
    assert objects.hit(50, 50, 2) is None


def test_geometry_rect_corner_drag_keeps_opposite_corner() -> None:
    rect = Shape(ShapeType.RECTANGLE, 0, 1, [0, 0, 10, 10], rotation=30)
    moved = move_vertex(rect, 2, *rect_corners(rect.points, 30)[2] + 5)
    assert rect_corners(moved.points, 30)[0] == pytest.approx(rect_corners(rect.points, 30)[0])
