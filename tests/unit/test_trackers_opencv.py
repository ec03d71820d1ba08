"""TrackerMIL on a generated video, and the runner: tracks created, keyframes written, undo, cancel."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import pytest

from app.core.work import CancelToken, Progress
from app.domain.annotations import Annotations, Shape, Track, TrackedShape
from app.domain.enums import ShapeType
from app.domain.interpolation import shape_at
from app.editing.stack import UndoStack
from app.media.cache import FrameCache
from app.media.sources import open_task_source
from app.models.trackers.base import TrackerError, TrackTarget
from app.models.trackers.opencv_mil import MilTracker
from app.models.trackers.plan import PlanError, plan_tracking
from app.models.trackers.runner import track_objects
from tests.unit.test_trackers_support import RED_START, RED_STEP, render, square_at, video_project

FRAMES = 16


@pytest.fixture(autouse=True)
def _seeded():
    # TrackerMIL samples at random; with OpenCV's thread pool the samples come from the pool threads'
    # generators (their state depends on earlier tests), so one thread makes the seed hold.
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    cv2.setRNGSeed(7)
    yield
    cv2.setNumThreads(threads)


@pytest.fixture
def setup(tmp_path: Path):
    project, job_id = video_project(tmp_path, FRAMES)
    task_id = project.job(job_id).task_id
    cache = FrameCache(open_task_source(project, task_id), capacity_bytes=8 << 20)
    yield project, job_id, cache
    cache.close()
    project.close()


def _red_box(frame: int) -> list[float]:
    return [float(v) for v in square_at(RED_START, RED_STEP, frame)]


def _add_red_shape(project, job_id, frame: int = 0, **extra) -> int:
    label = project.labels().by_name("car")
    shape = Shape(ShapeType.RECTANGLE, frame, label.id, _red_box(frame), **extra)
    return project.add_shapes(job_id, [shape])[0]


def test_mil_follows_a_moving_square() -> None:
    tracker = MilTracker()
    state = tracker.init_state(tracker.preprocess(render(0)), TrackTarget.of("rectangle", _red_box(0)))
    xs = []
    for frame in range(1, 12):
        box = tracker.track(tracker.preprocess(render(frame)), state)
        assert box is not None
        xs.append(box[0])
        assert abs(box[0] - _red_box(frame)[0]) <= 10 and abs(box[1] - _red_box(frame)[1]) <= 10
        assert box[2] - box[0] == pytest.approx(30, abs=1)
    assert xs[-1] - xs[0] > 20  # it moved right about 3 px a frame


def test_mil_rejects_other_shapes_and_empty_boxes() -> None:
    tracker = MilTracker()
    pre = tracker.preprocess(render(0))
    with pytest.raises(TrackerError, match="cannot track a polygon"):
        tracker.init_state(pre, TrackTarget.of("polygon", [0, 0, 10, 0, 10, 10]))
    with pytest.raises(TrackerError, match="outside"):
        tracker.init_state(pre, TrackTarget.of("rectangle", [500, 500, 540, 540]))


def test_shape_converted_to_track_with_a_keyframe_per_frame(setup) -> None:
    project, job_id, cache = setup
    car = project.labels().by_name("car")
    color, moving = (a.id for a in car.attributes)
    shape_id = _add_red_shape(project, job_id, attributes={color: "red", moving: "true"})
    stack = UndoStack()
    outcome = track_objects(project, job_id, cache, MilTracker(), 0, 10, shape_ids=[shape_id], undo_stack=stack)
    assert outcome.frames_done == 10 and not outcome.cancelled
    annotations = project.annotations(job_id)
    assert annotations.shapes == []
    (track,) = annotations.tracks
    assert [s.frame for s in track.shapes] == list(range(11))
    assert track.frame == 0 and all(s.keyframe and not s.outside for s in track.shapes)
    assert track.attributes == {color: "red"}  # immutable attributes go to the track, mutable ones per frame
    assert all(s.attributes == {moving: "true"} for s in track.shapes)
    assert track.shapes[10].points[0] > track.shapes[0].points[0] + 20  # moved with the square
    assert abs(track.shapes[10].points[0] - _red_box(10)[0]) <= 10
    stack.undo()
    restored = project.annotations(job_id)
    assert restored.tracks == [] and [s.id for s in restored.shapes] == [shape_id]


def test_without_conversion_new_shapes_are_added(setup) -> None:
    project, job_id, cache = setup
    shape_id = _add_red_shape(project, job_id)
    track_objects(project, job_id, cache, MilTracker(), 0, 4, shape_ids=[shape_id], convert_shapes=False)
    shapes = project.annotations(job_id).shapes
    assert sorted(s.frame for s in shapes) == [0, 1, 2, 3, 4]
    assert project.annotations(job_id).tracks == []


def test_backward_from_a_corrected_keyframe(setup) -> None:
    project, job_id, cache = setup
    label = project.labels().by_name("car")
    wrong = [0.0, 0.0, 30.0, 30.0]
    track = Track(label.id, 5, shapes=[TrackedShape(ShapeType.RECTANGLE, f, wrong) for f in (5, 12)])
    (track_id,) = project.add_tracks(job_id, [track])
    # The user corrects the shape on frame 12 and tracks back to frame 6 from there.
    stored = project.tracks(job_id, [track_id])[0]
    stored.shapes[1].points = _red_box(12)
    project.replace_annotations(job_id, remove_tracks=[track_id], add=Annotations(tracks=[stored]))
    track_objects(project, job_id, cache, MilTracker(), 12, 6, track_ids=[track_id])
    (result,) = project.tracks(job_id, [track_id])
    assert [s.frame for s in result.shapes] == [5, 6, 7, 8, 9, 10, 11, 12]
    assert result.shapes[0].points == wrong  # the keyframe outside the run is kept
    assert abs(shape_at(result, 6).points[0] - _red_box(6)[0]) <= 10, [(s.frame, s.points) for s in result.shapes]
    assert result.shapes[-1].points == _red_box(12)


def test_interpolated_start_becomes_a_keyframe(setup) -> None:
    project, job_id, cache = setup
    label = project.labels().by_name("car")
    a, b = _red_box(0), _red_box(8)
    track = Track(label.id, 0, shapes=[TrackedShape(ShapeType.RECTANGLE, 0, a),
                                       TrackedShape(ShapeType.RECTANGLE, 8, b)])
    (track_id,) = project.add_tracks(job_id, [track])
    before = shape_at(project.tracks(job_id)[0], 4).points
    track_objects(project, job_id, cache, MilTracker(), 4, 6, track_ids=[track_id])
    result = project.tracks(job_id)[0]
    assert [s.frame for s in result.shapes] == [0, 4, 5, 6, 8]
    assert result.shapes[1].points == pytest.approx(before)


def test_cancel_keeps_consistent_tracks(setup) -> None:
    project, job_id, cache = setup
    shape_id = _add_red_shape(project, job_id)
    second = project.add_shapes(job_id, [Shape(ShapeType.RECTANGLE, 0, project.labels().by_name("sign").id,
                                               [125.0, 2.0, 155.0, 32.0])])[0]
    token = CancelToken()
    seen = []

    def progress(value: Progress) -> None:
        seen.append((value.done, value.total))
        if value.done == 4:
            token.cancel()

    stack = UndoStack()
    outcome = track_objects(project, job_id, cache, MilTracker(), 0, FRAMES - 1, shape_ids=[shape_id, second],
                            undo_stack=stack, progress=progress, token=token)
    assert outcome.cancelled and outcome.frames_done == 4
    assert outcome.summary() == f"cancelled; kept 4 of {FRAMES - 1} frames, 2 object(s), 0 lost"
    assert seen[-1] == (4, FRAMES - 1)
    tracks = project.annotations(job_id).tracks
    assert len(tracks) == 2 and project.annotations(job_id).shapes == []
    for track in tracks:
        assert [s.frame for s in track.shapes] == [0, 1, 2, 3, 4]
        assert track.frame == 0
    assert len(stack) == 1  # one undo step for the whole run
    stack.undo()
    assert sorted(s.id for s in project.annotations(job_id).shapes) == sorted([shape_id, second])


def test_plan_reports_what_it_skips(setup) -> None:
    project, job_id, _ = setup
    label = project.labels().by_name("car")
    poly = project.add_shapes(job_id, [Shape(ShapeType.POLYGON, 0, label.id, [1, 1, 20, 1, 20, 20])])[0]
    plan = plan_tracking(project, job_id, 0, 5, MilTracker.supported_types, shape_ids=[poly, 999])
    assert plan.objects == []
    assert any("polygon cannot be tracked" in s for s in plan.skipped)
    assert any("shape 999" in s for s in plan.skipped)
    with pytest.raises(PlanError, match="target frame 99"):
        plan_tracking(project, job_id, 0, 99, MilTracker.supported_types)
    with pytest.raises(TrackerError, match="nothing to track"):
        track_objects(project, job_id, None, MilTracker(), 0, 5, shape_ids=[poly])


def test_mil_is_reproducible_whatever_ran_before(setup) -> None:
    """TrackerMIL samples with libc rand() and cv::RNG; the tracker seeds both, so the same video and box
    give the same track even after other code consumed random numbers (or on another thread)."""
    import ctypes
    import ctypes.util

    import numpy as np

    _project, _job_id, cache = setup

    def run() -> list[float]:
        tracker = MilTracker()
        frames = [cache.get(i) for i in range(6)]
        state = tracker.init_state(tracker.preprocess(frames[0]), TrackTarget.of(ShapeType.RECTANGLE, _red_box(0)))
        out: list[float] = []
        for frame in frames[1:]:
            out = tracker.track(tracker.preprocess(frame), state)
        return out

    first = run()
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    for _ in range(17):
        libc.rand()
    cv2.randu(np.zeros((64, 64), np.uint8), 0, 255)
    second: list = []
    worker = threading.Thread(target=lambda: second.append(run()))
    worker.start()
    worker.join()
    assert first == second[0]


class _CancelOnFrame(MilTracker):
    """Cancels ``token`` while it tracks its ``calls``-th frame (as a click on Cancel during that frame)."""

    def __init__(self, token: CancelToken, calls: int) -> None:
        super().__init__()
        self.token, self.calls = token, calls

    def track(self, pre, state):
        self.calls -= 1
        if self.calls == 0:
            self.token.cancel()
        return super().track(pre, state)


def test_cancel_during_the_last_frame_is_honoured(setup) -> None:
    """The frame in flight when Cancel came is not reported as done (was: "tracked 3 of 3 frames")."""
    project, job_id, cache = setup
    shape_id = _add_red_shape(project, job_id)
    token = CancelToken()
    seen: list[float] = []
    outcome = track_objects(project, job_id, cache, _CancelOnFrame(token, 3), 0, 3, shape_ids=[shape_id],
                            token=token, progress=lambda p: seen.append(p.done))
    assert outcome.cancelled and outcome.frames_done == 2 and seen == [1, 2]
    assert outcome.summary() == "cancelled; kept 2 of 3 frames, 1 object(s), 0 lost"
    (track,) = project.tracks(job_id)
    assert [s.frame for s in track.shapes] == [0, 1, 2]  # the start keyframe and exactly the 2 frames kept
