"""FrameObjects keeps its drawing order and box array right when an object is replaced in place (an
edit) without sorting everything again, and falls back to a re-sort when the z-order changes."""

from __future__ import annotations

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.editing.frame_objects import FrameObject, FrameObjects


def _obj(i: int, x: float, z: int = 0) -> FrameObject:
    return FrameObject(("shape", i), Shape(ShapeType.RECTANGLE, 0, 1, [x, 0, x + 10, 10], z_order=z, id=i))


def test_an_edit_updates_the_box_in_place_and_keeps_the_order() -> None:
    objects = FrameObjects([_obj(i, i * 20.0) for i in range(1, 6)])
    before = objects.boxes()
    order = [o.key for o in objects.ordered()]
    revision = objects.revision
    objects.put(_obj(3, 500.0))  # moved, same z-order
    assert [o.key for o in objects.ordered()] == order
    assert objects.boxes()[2].tolist() == [500.0, 0.0, 510.0, 10.0]
    assert before[2].tolist() == [60.0, 0.0, 70.0, 10.0]  # an array handed out earlier is not changed
    assert objects.revision > revision and (500.0, 0.0, 510.0, 10.0) in objects.changes
    hit = objects.hit(505, 5, 1)
    assert hit is not None and hit[0].key == ("shape", 3)
    assert objects.hit(65, 5, 1) is None


def test_a_new_z_order_sorts_again() -> None:
    objects = FrameObjects([_obj(i, i * 20.0) for i in range(1, 4)])
    objects.boxes()
    objects.put(_obj(1, 20.0, z=5))  # brought to the front
    assert [o.key[1] for o in objects.ordered()] == [2, 3, 1]
    assert objects.boxes()[-1].tolist() == [20.0, 0.0, 30.0, 10.0]
