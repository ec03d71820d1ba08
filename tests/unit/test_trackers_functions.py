"""CVAT tracking functions (cvat_sdk.auto_annotation) run unchanged as trackers."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.editing.stack import UndoStack
from app.media.sources import open_task_source
from app.models.trackers.base import TrackerError, TrackTarget
from app.models.trackers.functions import FunctionTracker
from app.models.trackers.runner import track_objects
from tests.unit.test_trackers_support import RED_START, RED_STEP, render, square_at, video_project

# A tracking function as one would write it for CVAT's agent: it follows the pixels whose colour is
# closest to the object's mean colour on the first frame, and reports the object lost when none match.
FUNCTION = textwrap.dedent('''
    import numpy as np
    import cvat_sdk.auto_annotation as cvataa

    spec = cvataa.TrackingFunctionSpec(supported_shape_types=["rectangle"])
    calls = {"preprocess": 0}

    def preprocess_image(context, image):
        calls["preprocess"] += 1
        return np.asarray(image, dtype=np.int32)

    def init_tracking_state(context, pp_image, shape):
        assert context.original_shape_type == shape.type
        x1, y1, x2, y2 = (int(v) for v in shape.points)
        pp_image = np.asarray(pp_image, dtype=np.int32)  # an array from preprocess_image, or the PIL image
        colour = pp_image[y1:y2, x1:x2].reshape(-1, 3).mean(axis=0)
        return {"colour": colour, "size": (x2 - x1, y2 - y1)}

    def track(context, pp_image, state):
        close = np.abs(np.asarray(pp_image, dtype=np.int32) - state["colour"]).sum(axis=-1) < 90
        ys, xs = np.nonzero(close)
        if len(xs) < 20:
            return None
        w, h = state["size"]
        cx, cy = float(np.median(xs)), float(np.median(ys))
        return cvataa.TrackableShape(type="rectangle", points=[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
''')


@pytest.fixture
def function_file(tmp_path: Path) -> Path:
    path = tmp_path / "colour_tracker.py"
    path.write_text(FUNCTION, encoding="utf-8")
    return path


def _red_box(frame: int) -> list[float]:
    return [float(v) for v in square_at(RED_START, RED_STEP, frame)]


def test_function_follows_and_loses_the_object(tmp_path: Path, function_file: Path) -> None:
    project, job_id = video_project(tmp_path, 14, red_until=9)
    label = project.labels().by_name("car")
    other = project.labels().by_name("sign")
    shape_id = project.add_shapes(job_id, [Shape(ShapeType.RECTANGLE, 0, label.id, _red_box(0))])[0]
    project.add_shapes(job_id, [Shape(ShapeType.POLYGON, 0, other.id, [1, 1, 9, 1, 9, 9])])  # not trackable
    tracker = FunctionTracker.from_file(function_file)
    assert tracker.name == "colour_tracker" and tracker.supported_types == {ShapeType.RECTANGLE}
    source = open_task_source(project, project.job(job_id).task_id)
    stack = UndoStack()
    outcome = track_objects(project, job_id, source, tracker, 0, 13, undo_stack=stack)  # "track all"
    assert len(outcome.plan.objects) == 1 and outcome.lost == 1
    assert tracker.function.calls["preprocess"] == 1 + 9  # once per frame: start + frames 1..9
    (track,) = project.annotations(job_id).tracks
    assert [s.frame for s in track.shapes] == list(range(10))
    for keyframe in track.shapes[1:9]:
        assert abs(keyframe.points[0] - _red_box(keyframe.frame)[0]) <= 2
    lost = track.shapes[-1]
    assert lost.frame == 9 and lost.outside and not any(s.outside for s in track.shapes[:-1])
    assert lost.points == track.shapes[-2].points  # outside keeps the last known position
    assert [s.id for s in project.annotations(job_id).shapes if s.id == shape_id] == []
    stack.undo()
    assert shape_id in [s.id for s in project.annotations(job_id).shapes]
    project.close()


def test_function_without_preprocess_gets_the_pil_image(tmp_path: Path) -> None:
    path = tmp_path / "plain.py"
    path.write_text(FUNCTION.replace("def preprocess_image", "def _unused_preprocess"), encoding="utf-8")
    tracker = FunctionTracker.from_file(path)
    pre = tracker.preprocess(render(0))
    assert pre.pp_image.size == (160, 120)  # a PIL image, as CVAT passes it
    state = tracker.init_state(tracker.preprocess(render(0)), TrackTarget.of("rectangle", _red_box(0)))
    box = tracker.track(tracker.preprocess(render(3)), state)
    assert box is not None and abs(box[0] - _red_box(3)[0]) <= 2


def test_bad_functions_are_reported(tmp_path: Path, function_file: Path) -> None:
    wrong_type = tmp_path / "wrong.py"
    wrong_type.write_text(FUNCTION.replace('TrackableShape(type="rectangle"', 'TrackableShape(type="polygon"'),
                          encoding="utf-8")
    tracker = FunctionTracker.from_file(wrong_type)
    state = tracker.init_state(tracker.preprocess(render(0)), TrackTarget.of("rectangle", _red_box(0)))
    with pytest.raises(TrackerError, match="returned a polygon for a rectangle"):
        tracker.track(tracker.preprocess(render(1)), state)
    with pytest.raises(TrackerError, match="frame is 80x60"):
        tracker.track(tracker.preprocess(render(1)[:60, :80]), state)
    detection = tmp_path / "detector.py"
    detection.write_text("import cvat_sdk.auto_annotation as cvataa\nspec = cvataa.DetectionFunctionSpec(labels=[])\n"
                         "def detect(context, image):\n    return []\n", encoding="utf-8")
    with pytest.raises(TrackerError, match="not a tracking function"):
        FunctionTracker.from_file(detection)
    with pytest.raises(TrackerError, match="no such function file"):
        FunctionTracker.from_file(tmp_path / "missing.py")


def test_tracker_choices_build_registered_functions(tmp_path: Path, function_file: Path) -> None:
    from app.models.registry import Registration, Registry
    from app.models.trackers.choices import MIL_KEY, builtin_choices, create_tracker, function_choices
    from app.models.trackers.opencv_mil import MilTracker

    registry = Registry(tmp_path / "models.json")
    registry.add(Registration("colours", "function-file", str(function_file), description="colour tracker"))
    keys = [c.key for c in builtin_choices()]
    assert keys[0] == MIL_KEY and "sam2:sam2.1-tiny" in keys
    assert [c.key for c in function_choices(registry)] == ["function:colours"]
    assert isinstance(create_tracker(MIL_KEY), MilTracker)
    tracker = create_tracker("function:colours", registry=registry)
    assert isinstance(tracker, FunctionTracker) and tracker.supported_types == {ShapeType.RECTANGLE}
    with pytest.raises(TrackerError, match="no registered function named 'nope'"):
        create_tracker("function:nope", registry=registry)
    with pytest.raises(TrackerError, match="unknown tracker"):
        create_tracker("magic:wand")
    with pytest.raises(TrackerError, match="sam2.1_hiera_large.pt"):  # the checkpoint is not installed
        create_tracker("sam2:sam2.1-large")
