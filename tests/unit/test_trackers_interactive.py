"""Interactive tracking: marked tracks follow each step to the next frame; edits re-initialise."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from app.domain.annotations import Annotations, Track, TrackedShape
from app.domain.enums import ShapeType
from app.editing.stack import UndoStack
from app.media.sources import open_task_source
from app.models.trackers.interactive import InteractiveTracking
from app.models.trackers.opencv_mil import MilTracker
from tests.unit.test_trackers_support import RED_START, RED_STEP, square_at, video_project


def _red_box(frame: int) -> list[float]:
    return [float(v) for v in square_at(RED_START, RED_STEP, frame)]


class CountingMil(MilTracker):
    def __init__(self) -> None:
        super().__init__()
        self.inits = 0

    def init_state(self, pre, target):
        self.inits += 1
        return super().init_state(pre, target)


@pytest.fixture
def job(tmp_path: Path):
    # TrackerMIL samples at random. With OpenCV's thread pool the samples come from the pool threads'
    # random generators, whose state depends on every earlier test; one thread makes the seed below hold.
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    cv2.setRNGSeed(3)
    project, job_id = video_project(tmp_path, 10)
    source = open_task_source(project, project.job(job_id).task_id)
    label = project.labels().by_name("car")
    track = Track(label.id, 0, shapes=[TrackedShape(ShapeType.RECTANGLE, 0, _red_box(0))])
    (track_id,) = project.add_tracks(job_id, [track])
    yield project, job_id, source, track_id
    project.close()
    cv2.setNumThreads(threads)


def _step(session: InteractiveTracking, project, job_id, source, stack, start: int, frame: int) -> int:
    plan = session.plan_step(project, job_id, start, frame)
    result = session.compute_step(plan, source)
    command = session.step_command(project, result)
    if command is not None:
        stack.push(command)
    return len(plan)


def test_steps_write_keyframes_and_reuse_the_state(job) -> None:
    project, job_id, source, track_id = job
    session = InteractiveTracking()
    tracker = CountingMil()
    session.mark(track_id, tracker)
    assert session.tracker_name(track_id) == "TrackerMIL"
    stack = UndoStack()
    for frame in range(1, 5):
        assert _step(session, project, job_id, source, stack, frame - 1, frame) == 1
    (track,) = project.tracks(job_id)
    assert [s.frame for s in track.shapes] == [0, 1, 2, 3, 4]
    assert abs(track.shapes[-1].points[0] - _red_box(4)[0]) <= 10
    assert tracker.inits == 1  # the state was kept from step to step
    assert len(stack) == 4  # one undo step per frame
    assert track.id == track_id  # the track keeps its id, so it stays marked


def test_user_correction_reinitialises_and_switch_turns_tracking_off(job) -> None:
    project, job_id, source, track_id = job
    session = InteractiveTracking()
    tracker = CountingMil()
    session.mark(track_id, tracker)
    stack = UndoStack()
    _step(session, project, job_id, source, stack, 0, 1)
    # The user moves the keyframe on frame 1 (an edit of the track).
    (track,) = project.tracks(job_id)
    track.shapes[-1].points = [v + 5.0 for v in track.shapes[-1].points]  # differs from what the tracker wrote
    project.replace_annotations(job_id, remove_tracks=[track_id], add=Annotations(tracks=[track]))
    _step(session, project, job_id, source, stack, 1, 2)
    assert tracker.inits == 2
    # Not a step to the next frame: nothing happens.
    assert _step(session, project, job_id, source, stack, 2, 5) == 0
    # A keyframe later than the current frame: the object is not tracked.
    assert _step(session, project, job_id, source, stack, 1, 2) == 0
    session.set_enabled(track_id, False)
    assert session.tracker_name(track_id) is None
    assert _step(session, project, job_id, source, stack, 2, 3) == 0
    session.set_enabled(track_id, True)
    assert _step(session, project, job_id, source, stack, 2, 3) == 1
    assert [s.frame for s in project.tracks(job_id)[0].shapes] == [0, 1, 2, 3]


def test_deleted_tracks_are_forgotten(job) -> None:
    project, job_id, source, track_id = job
    session = InteractiveTracking()
    session.mark(track_id, MilTracker())
    project.delete_annotations(job_id, track_ids=[track_id])
    assert _step(session, project, job_id, source, UndoStack(), 0, 1) == 0
    assert session.entries() == []
