"""Track edits as commands on the undo stack, against a real project file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain.annotations import Shape, Track, TrackedShape
from app.domain.enums import AttributeType, LabelType, ShapeType
from app.domain.interpolation import shape_at
from app.domain.labels import AttributeSpec, Label
from app.domain.project import FrameInfo
from app.editing import UndoStack
from app.editing import track_ops as ops
from app.storage.store import Project


@pytest.fixture
def env(tmp_path: Path) -> Iterator[tuple[Project, int, UndoStack]]:
    labels = [
        Label("car", type=LabelType.RECTANGLE, attributes=[
            AttributeSpec("model", AttributeType.SELECT, ["a", "b"], mutable=False),
            AttributeSpec("moving", AttributeType.CHECKBOX, mutable=True),
        ]),
        Label("road", type=LabelType.POLYGON),
        Label("person", type=LabelType.SKELETON, sublabels=[Label("head", type=LabelType.POINTS),
                                                            Label("foot", type=LabelType.POINTS)]),
    ]
    project = Project.create(tmp_path / "p.fmproj", labels=labels)
    project.create_task("video", [FrameInfo(i, f"f{i}.png", 64, 48) for i in range(50)], media_type="video")
    job = project.jobs()[0]
    yield project, job.id, UndoStack()
    project.close()


def label(project: Project, name: str) -> Label:
    found = project.labels().by_name(name)
    assert found is not None
    return found


def stored(project: Project, job_id: int) -> list[Track]:
    return project.tracks(job_id)


def draw_car(project: Project, job_id: int, stack: UndoStack, frame: int = 0) -> Track:
    car = label(project, "car")
    model, moving = car.attribute("model"), car.attribute("moving")
    shape = Shape(ShapeType.RECTANGLE, frame, car.id, [0, 0, 10, 10], attributes={model.id: "b", moving.id: "true"})
    stack.push(ops.draw_track(project, job_id, shape))
    (track,) = stored(project, job_id)
    return track


def frames_of(track: Track) -> list[tuple[int, bool]]:
    return [(s.frame, s.outside) for s in track.shapes]


def test_draw_track_splits_attributes_and_undoes(env: tuple[Project, int, UndoStack]) -> None:
    project, job_id, stack = env
    track = draw_car(project, job_id, stack, frame=3)
    car = label(project, "car")
    assert track.frame == 3 and frames_of(track) == [(3, False)]
    assert track.attributes == {car.attribute("model").id: "b"}
    assert track.shapes[0].attributes == {car.attribute("moving").id: "true"}
    stack.undo()
    assert stored(project, job_id) == []
    stack.redo()
    assert [t.id for t in stored(project, job_id)] == [track.id]


def test_set_keyframe_on_interpolated_frame_then_undo(env: tuple[Project, int, UndoStack]) -> None:
    project, job_id, stack = env
    track = draw_car(project, job_id, stack)
    stack.push(ops.set_keyframe(project, job_id, track, TrackedShape(ShapeType.RECTANGLE, 10, [10, 10, 20, 20])))
    track = stored(project, job_id)[0]
    assert frames_of(track) == [(0, False), (10, False)]
    state = shape_at(track, 5)
    assert state.points == pytest.approx([5, 5, 15, 15]) and not state.keyframe
    # Editing the interpolated frame 5 makes it a keyframe.
    stack.push(ops.set_keyframe(project, job_id, track, state.copy(points=[0, 0, 4, 4])))
    track = stored(project, job_id)[0]
    assert [s.frame for s in track.shapes] == [0, 5, 10] and track.shapes[1].points == [0, 0, 4, 4]
    # Re-editing an existing keyframe replaces it.
    stack.push(ops.set_keyframe(project, job_id, track, shape_at(track, 5).copy(points=[1, 1, 4, 4])))
    again = stored(project, job_id)[0]
    assert again.id == track.id and again.shapes[1].points == [1, 1, 4, 4] and len(again.shapes) == 3
    stack.undo()
    stack.undo()
    assert [s.frame for s in stored(project, job_id)[0].shapes] == [0, 10]
    stack.redo()
    assert stored(project, job_id)[0].shapes[1].points == [0, 0, 4, 4]


def test_remove_and_toggle_keyframe(env: tuple[Project, int, UndoStack]) -> None:
    project, job_id, stack = env
    track = draw_car(project, job_id, stack)
    with pytest.raises(ValueError, match="only keyframe"):
        ops.remove_keyframe(project, job_id, track, 0)
    stack.push(ops.toggle_keyframe(project, job_id, track, 7))  # pins the (held) state
    track = stored(project, job_id)[0]
    assert [s.frame for s in track.shapes] == [0, 7]
    with pytest.raises(ValueError, match="no keyframe"):
        ops.remove_keyframe(project, job_id, track, 3)
    stack.push(ops.toggle_keyframe(project, job_id, track, 7))
    assert [s.frame for s in stored(project, job_id)[0].shapes] == [0]
    stack.push(ops.set_keyframe(project, job_id, stored(project, job_id)[0],
                                TrackedShape(ShapeType.RECTANGLE, 9, [1, 1, 2, 2])))
    stack.push(ops.remove_keyframe(project, job_id, stored(project, job_id)[0], 0))
    track = stored(project, job_id)[0]
    assert track.frame == 9 and [s.frame for s in track.shapes] == [9]
    stack.undo()
    assert stored(project, job_id)[0].frame == 0


def test_outside_and_reentry(env: tuple[Project, int, UndoStack]) -> None:
    project, job_id, stack = env
    track = draw_car(project, job_id, stack)
    stack.push(ops.set_keyframe(project, job_id, track, TrackedShape(ShapeType.RECTANGLE, 10, [10, 10, 20, 20])))
    stack.push(ops.mark_outside(project, job_id, stored(project, job_id)[0], 4))
    track = stored(project, job_id)[0]
    assert frames_of(track) == [(0, False), (4, True), (10, False)]
    assert shape_at(track, 4).points == pytest.approx([4, 4, 14, 14])  # where it left
    assert shape_at(track, 6).outside and not shape_at(track, 10).outside
    with pytest.raises(ValueError, match="not outside"):
        ops.mark_reentry(project, job_id, track, 2)
    back = TrackedShape(ShapeType.RECTANGLE, 7, [30, 30, 40, 40])
    stack.push(ops.mark_reentry(project, job_id, track, 7, back))
    track = stored(project, job_id)[0]
    assert frames_of(track) == [(0, False), (4, True), (7, False), (10, False)]
    assert shape_at(track, 7).points == [30, 30, 40, 40]
    with pytest.raises(ValueError, match="does not exist yet"):
        ops.mark_outside(project, job_id, track, -1)
    stack.undo()
    stack.undo()
    assert frames_of(stored(project, job_id)[0]) == [(0, False), (10, False)]


def test_navigation_helpers() -> None:
    track = Track(label_id=1, frame=2, shapes=[TrackedShape("points", 2, [0, 0]), TrackedShape("points", 9, [0, 0])],
                  elements=[Track(label_id=2, frame=2, shapes=[TrackedShape("points", 5, [1, 1])])])
    assert ops.next_keyframe(track, 0) == 2 and ops.next_keyframe(track, 2) == 5 and ops.next_keyframe(track, 9) is None
    assert ops.previous_keyframe(track, 9) == 5 and ops.previous_keyframe(track, 2) is None
    assert ops.is_keyframe(track, 9) and not ops.is_keyframe(track, 5)


def test_shape_to_track_and_delete(env: tuple[Project, int, UndoStack]) -> None:
    project, job_id, stack = env
    road = label(project, "road")
    project.add_shapes(job_id, [Shape(ShapeType.POLYGON, 4, road.id, [0, 0, 10, 0, 5, 5])])
    (shape,) = project.frame_shapes(job_id, 4)
    stack.push(ops.shape_to_track(project, job_id, shape))
    assert project.frame_shapes(job_id, 4) == []
    (track,) = stored(project, job_id)
    assert track.shapes[0].points == [0, 0, 10, 0, 5, 5] and track.frame == 4
    stack.push(ops.delete_track(project, job_id, track))
    assert stored(project, job_id) == []
    stack.undo()
    stack.undo()
    assert stored(project, job_id) == [] and [s.id for s in project.frame_shapes(job_id, 4)] == [shape.id]
    with pytest.raises(ValueError, match="not stored"):
        ops.delete_track(project, job_id, Track(label_id=road.id, frame=0))


def test_split_track(env: tuple[Project, int, UndoStack]) -> None:
    project, job_id, stack = env
    road = label(project, "road")
    stack.push(ops.draw_track(project, job_id, Shape(ShapeType.POLYGON, 0, road.id, [0, 0, 5, 0, 5, 5])))
    car = label(project, "car")
    stack.push(ops.draw_track(project, job_id, Shape(ShapeType.RECTANGLE, 0, car.id, [0, 0, 10, 10])))
    other, track = stored(project, job_id)  # the car track has the largest id
    stack.push(ops.set_keyframe(project, job_id, track, TrackedShape(ShapeType.RECTANGLE, 10, [10, 10, 20, 20])))
    track = stored(project, job_id)[1]
    with pytest.raises(ValueError, match="first frame"):
        ops.split_track(project, job_id, track, 0)
    stack.push(ops.split_track(project, job_id, track, 5))
    kept, head, tail = stored(project, job_id)
    assert kept.id == other.id and frames_of(kept) == frames_of(other)
    assert frames_of(head) == [(0, False), (5, True)]
    assert frames_of(tail) == [(5, False), (10, False)] and tail.attributes == track.attributes
    assert tail.shapes[0].points == pytest.approx([5, 5, 15, 15])
    stack.undo()
    assert [t.id for t in stored(project, job_id)] == [other.id, track.id]
    assert frames_of(stored(project, job_id)[1]) == [(0, False), (10, False)]
    stack.redo()
    assert len(stored(project, job_id)) == 3


def test_merge_tracks_later_selected_wins(env: tuple[Project, int, UndoStack]) -> None:
    project, job_id, stack = env
    first = draw_car(project, job_id, stack, frame=0)
    car = label(project, "car")
    model = car.attribute("model")
    second_shape = Shape(ShapeType.RECTANGLE, 0, car.id, [50, 50, 60, 60], attributes={model.id: "a"})
    stack.push(ops.draw_track(project, job_id, second_shape))
    first, second = stored(project, job_id)
    stack.push(ops.set_keyframe(project, job_id, second, TrackedShape(ShapeType.RECTANGLE, 20, [0, 0, 1, 1])))
    second = stored(project, job_id)[1]
    stack.push(ops.merge_tracks(project, job_id, [first, second]))
    (merged,) = stored(project, job_id)
    assert merged.id == first.id
    assert [s.frame for s in merged.shapes] == [0, 20]
    assert merged.shapes[0].points == [50, 50, 60, 60]  # the later-selected keyframe at frame 0
    assert merged.attributes == {model.id: "a"}
    stack.undo()
    assert [t.id for t in stored(project, job_id)] == [first.id, second.id]
    first, second = stored(project, job_id)
    stack.push(ops.merge_tracks(project, job_id, [second, first]))
    (merged,) = stored(project, job_id)
    assert merged.id == second.id and merged.shapes[0].points == [0, 0, 10, 10]


def test_merge_rejects_mixed_labels(env: tuple[Project, int, UndoStack]) -> None:
    project, job_id, stack = env
    draw_car(project, job_id, stack)
    road = label(project, "road")
    stack.push(ops.draw_track(project, job_id, Shape(ShapeType.POLYGON, 0, road.id, [0, 0, 5, 0, 5, 5])))
    tracks = stored(project, job_id)
    with pytest.raises(ValueError, match="one label"):
        ops.merge_tracks(project, job_id, tracks)
    with pytest.raises(ValueError, match="at least two"):
        ops.merge_tracks(project, job_id, tracks[:1])


def test_propagate_shape(env: tuple[Project, int, UndoStack]) -> None:
    project, job_id, stack = env
    road = label(project, "road")
    project.add_shapes(job_id, [Shape(ShapeType.POLYGON, 46, road.id, [0, 0, 10, 0, 5, 5], z_order=2)])
    (shape,) = project.frame_shapes(job_id, 46)
    stack.push(ops.propagate_shape(project, job_id, shape, 5, stop_frame=49))
    for frame in (47, 48, 49):
        (copy,) = project.frame_shapes(job_id, frame)
        assert copy.points == shape.points and copy.z_order == 2 and copy.id != shape.id
    assert project.frame_shapes(job_id, 50) == []
    stack.undo()
    assert all(project.frame_shapes(job_id, f) == [] for f in (47, 48, 49))
    with pytest.raises(ValueError, match="no frame"):
        ops.propagate_shape(project, job_id, shape, 3, stop_frame=46)


def skeleton_shape(project: Project, frame: int, head: list[float], foot: list[float]) -> Shape:
    person = label(project, "person")
    return Shape(ShapeType.SKELETON, frame, person.id, elements=[
        Shape(ShapeType.POINTS, frame, person.sublabel("head").id, head),
        Shape(ShapeType.POINTS, frame, person.sublabel("foot").id, foot),
    ])


def test_skeleton_track_keyframes_outside_and_split(env: tuple[Project, int, UndoStack]) -> None:
    project, job_id, stack = env
    stack.push(ops.draw_track(project, job_id, skeleton_shape(project, 0, [0, 0], [0, 10])))
    (track,) = stored(project, job_id)
    assert [len(e.shapes) for e in track.elements] == [1, 1]
    # Move only the head on frame 10: every element gets a keyframe there.
    head_state = TrackedShape(ShapeType.POINTS, 10, [10, 0])
    stack.push(ops.set_keyframe(project, job_id, track, shape_at(track, 10), [head_state, None]))
    track = stored(project, job_id)[0]
    assert [[s.frame for s in e.shapes] for e in track.elements] == [[0, 10], [0, 10]]
    assert shape_at(track.elements[0], 5).points == pytest.approx([5, 0])
    stack.push(ops.mark_outside(project, job_id, track, 12))
    track = stored(project, job_id)[0]
    assert all(shape_at(e, 13).outside for e in track.elements) and shape_at(track, 13).outside
    stack.push(ops.split_track(project, job_id, track, 5))
    head, tail = stored(project, job_id)
    assert frames_of(head) == [(0, False), (5, True)]
    assert [frames_of(e) for e in head.elements] == [[(0, False), (5, True)]] * 2
    assert [e.shapes[0].points for e in tail.elements] == [pytest.approx([5, 0]), pytest.approx([0, 10])]
    for _ in range(3):
        stack.undo()
    (track,) = stored(project, job_id)
    assert [len(e.shapes) for e in track.elements] == [1, 1]


def test_merge_skeleton_tracks_element_by_element(env: tuple[Project, int, UndoStack]) -> None:
    project, job_id, stack = env
    stack.push(ops.draw_track(project, job_id, skeleton_shape(project, 0, [0, 0], [0, 10])))
    stack.push(ops.draw_track(project, job_id, skeleton_shape(project, 10, [10, 0], [10, 10])))
    first, second = stored(project, job_id)
    stack.push(ops.merge_tracks(project, job_id, [first, second]))
    (merged,) = stored(project, job_id)
    assert merged.id == first.id and [s.frame for s in merged.shapes] == [0, 10]
    assert [[s.frame for s in e.shapes] for e in merged.elements] == [[0, 10], [0, 10]]
    assert [e.label_id for e in merged.elements] == [e.label_id for e in first.elements]
    assert shape_at(merged.elements[0], 5).points == pytest.approx([5, 0])
    stack.undo()
    assert [len(t.elements) for t in stored(project, job_id)] == [2, 2]
