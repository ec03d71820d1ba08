"""Drawing tools driven with toolkit-neutral events against a real project (no window)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.domain.enums import ShapeType
from app.domain.mask import mask_area, points_to_mask
from app.editing.session import EditSession
from app.tools.base import Button, EventKind, KeyEvent, Modifier, ToolEvent
from app.tools.ellipse import EllipseTool
from app.tools.host import plain_host
from app.tools.mask import MaskTool
from app.tools.points import PointsTool
from app.tools.polygon import PolygonTool
from app.tools.polyline import PolylineTool
from app.tools.rectangle import RectangleTool
from app.tools.skeleton import SkeletonTool
from app.tools.tag import TagTool
from tests.support.canvas_project import make_project


@pytest.fixture
def session(tmp_path: Path):
    project = make_project(tmp_path)
    job = project.jobs()[0]
    s = EditSession(project, job.id)
    s.current_label_id = project.labels().by_name("car").id
    s.host = plain_host(s)  # type: ignore[attr-defined]
    yield s
    s.close()
    project.close()


def ev(kind: EventKind, x: float, y: float, button: Button = Button.LEFT, buttons: Button | None = None,
       modifiers: Modifier = Modifier.NONE) -> ToolEvent:
    held = buttons if buttons is not None else (button if kind in (EventKind.PRESS, EventKind.MOVE) else Button.NONE)
    return ToolEvent(kind, x, y, button=button, buttons=held, modifiers=modifiers)


def click(tool, x: float, y: float) -> None:
    tool.press(ev(EventKind.PRESS, x, y))
    tool.release(ev(EventKind.RELEASE, x, y))


def drag(tool, a: tuple[float, float], b: tuple[float, float]) -> None:
    tool.press(ev(EventKind.PRESS, *a))
    tool.move(ev(EventKind.MOVE, (a[0] + b[0]) / 2, (a[1] + b[1]) / 2))
    tool.move(ev(EventKind.MOVE, *b))
    tool.release(ev(EventKind.RELEASE, *b))


def key(tool, name: str, modifiers: Modifier = Modifier.NONE) -> bool:
    return tool.key(KeyEvent(name, modifiers))


def stored(session: EditSession):
    return session.project.frame_shapes(session.job_id, session.frame)


def test_rectangle_drag_and_two_clicks_and_undo(session: EditSession) -> None:
    tool = RectangleTool()
    tool.activate(session.host)
    drag(tool, (10, 20), (50, 60))
    click(tool, 100, 10)
    click(tool, 80, 40)  # two clicks: the corners in any order
    shapes = stored(session)
    assert [s.points for s in shapes] == [[10, 20, 50, 60], [80, 10, 100, 40]]
    car = session.labels.by_name("car")
    assert shapes[0].attributes == car.default_attributes() and shapes[0].attributes
    assert session.undo() and len(stored(session)) == 1
    assert session.redo() and len(stored(session)) == 2
    assert len(session.objects()) == 2


def test_rectangle_escape_cancels_without_writing(session: EditSession) -> None:
    tool = RectangleTool()
    tool.activate(session.host)
    tool.press(ev(EventKind.PRESS, 5, 5))
    tool.move(ev(EventKind.MOVE, 30, 30))
    assert session.host.view.preview is not None
    assert key(tool, "Escape")
    tool.release(ev(EventKind.RELEASE, 30, 30))
    assert session.host.view.preview is None and stored(session) == []


def test_polygon_clicks_backspace_and_n(session: EditSession) -> None:
    tool = PolygonTool()
    tool.activate(session.host)
    for x, y in [(10, 10), (60, 10), (99, 99), (60, 60)]:
        click(tool, x, y)
    assert key(tool, "Backspace")
    assert key(tool, "N")
    (shape,) = stored(session)
    assert shape.type is ShapeType.POLYGON and shape.points == [10, 10, 60, 10, 99, 99]


def test_polygon_double_click_finishes_and_too_few_points_dropped(session: EditSession) -> None:
    tool = PolygonTool()
    tool.activate(session.host)
    click(tool, 1, 1)
    click(tool, 20, 1)
    tool.double_click(ev(EventKind.DOUBLE_CLICK, 20, 1))
    assert stored(session) == [] and "at least 3" in session.messages[-1]
    for x, y in [(1, 1), (20, 1), (20, 20)]:
        click(tool, x, y)
    tool.double_click(ev(EventKind.DOUBLE_CLICK, 20, 20))
    assert stored(session)[0].points == [1, 1, 20, 1, 20, 20]


def test_polygon_escape_cancels(session: EditSession) -> None:
    tool = PolygonTool()
    tool.activate(session.host)
    click(tool, 1, 1)
    click(tool, 20, 1)
    key(tool, "Escape")
    key(tool, "N")
    assert stored(session) == []


def test_polyline_and_points(session: EditSession) -> None:
    line = PolylineTool()
    line.activate(session.host)
    click(line, 1, 2)
    click(line, 3, 4)
    key(line, "Return")
    line.deactivate()
    pts = PointsTool()
    pts.activate(session.host)
    for x in (5, 6, 7):
        click(pts, x, 9)
    key(pts, "N")
    types = {s.type: s.points for s in stored(session)}
    assert types[ShapeType.POLYLINE] == [1, 2, 3, 4]
    assert types[ShapeType.POINTS] == [5, 9, 6, 9, 7, 9]


def test_ellipse_from_box(session: EditSession) -> None:
    tool = EllipseTool()
    tool.activate(session.host)
    drag(tool, (10, 10), (50, 30))
    (shape,) = stored(session)
    assert shape.type is ShapeType.ELLIPSE and shape.points == [30, 20, 50, 10]


def test_mask_strokes_merge_into_one_shape_and_each_stroke_is_one_step(session: EditSession) -> None:
    session.current_label_id = session.labels.by_name("road").id
    tool = MaskTool(size=6)
    tool.activate(session.host)
    drag(tool, (20, 20), (60, 20))
    drag(tool, (20, 50), (60, 50))
    (shape,) = stored(session)
    assert shape.type is ShapeType.MASK and shape.label_id == session.labels.by_name("road").id
    two_strokes = mask_area(shape.points)
    assert len(session.undo_stack) == 2
    key(tool, "E")  # eraser
    drag(tool, (40, 10), (40, 60))
    (erased,) = stored(session)
    assert mask_area(erased.points) < two_strokes
    assert erased.id == shape.id
    session.undo()
    assert mask_area(stored(session)[0].points) == two_strokes
    session.undo()
    session.undo()
    assert stored(session) == []


def test_mask_polygon_fill_erase_and_cancelled_stroke(session: EditSession) -> None:
    tool = MaskTool()
    tool.activate(session.host)
    key(tool, "P")
    for x, y in [(10, 10), (50, 10), (50, 50), (10, 50)]:
        click(tool, x, y)
    key(tool, "N")
    (shape,) = stored(session)
    full = points_to_mask(shape.points, 160, 120)
    assert full[30, 30] and not full[5, 5] and 1500 <= full.sum() <= 1800
    key(tool, "E")  # polygon erase
    for x, y in [(10, 10), (30, 10), (30, 50), (10, 50)]:
        click(tool, x, y)
    key(tool, "N")
    after = points_to_mask(stored(session)[0].points, 160, 120)
    assert not after[30, 15] and after[30, 40]
    key(tool, "P")  # back to the brush (eraser mode kept as "eraser"? no: brush)
    tool.press(ev(EventKind.PRESS, 100, 100))
    tool.move(ev(EventKind.MOVE, 110, 100))
    key(tool, "Escape")
    tool.release(ev(EventKind.RELEASE, 110, 100))
    assert np.array_equal(points_to_mask(stored(session)[0].points, 160, 120), after)


def test_skeleton_places_template_with_every_keypoint(session: EditSession) -> None:
    tool = SkeletonTool()
    tool.activate(session.host)
    drag(tool, (20, 20), (100, 100))
    (shape,) = stored(session)
    person = session.labels.by_name("person")
    assert shape.type is ShapeType.SKELETON and shape.label_id == person.id
    assert sorted(e.label_id for e in shape.elements) == sorted(s.id for s in person.sublabels)
    for e in shape.elements:
        assert 20 <= e.points[0] <= 100 and 20 <= e.points[1] <= 100


def test_tag_tool_adds_one_tag_per_label(session: EditSession) -> None:
    tool = TagTool()
    tool.activate(session.host)
    click(tool, 5, 5)
    click(tool, 5, 5)
    tags = session.project.frame_tags(session.job_id, session.frame)
    assert [t.label_id for t in tags] == [session.labels.by_name("daytime").id]
    assert len(session.undo_stack) == 1


def test_label_that_does_not_accept_the_type_falls_back(session: EditSession) -> None:
    session.current_label_id = session.labels.by_name("road").id  # a mask label
    tool = RectangleTool()
    tool.activate(session.host)
    drag(tool, (1, 1), (9, 9))
    assert stored(session)[0].label_id == session.labels.by_name("car").id


def test_track_mode_draws_a_track(session: EditSession) -> None:
    session.track_mode = True
    tool = RectangleTool()
    tool.activate(session.host)
    drag(tool, (10, 10), (40, 40))
    assert stored(session) == []
    (track,) = session.project.tracks(session.job_id)
    assert track.frame == 0 and track.shapes[0].points == [10, 10, 40, 40]
    session.load_frame(3)
    (obj,) = list(session.objects())
    assert obj.is_track and obj.shape.points == [10, 10, 40, 40]
