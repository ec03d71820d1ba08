"""SAM 2 tracker with real (random-weight) SAM 2.1 tiny at image size 256 on a generated video."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.domain.geometry import bitmap_to_shape as mask_to_shape
from app.domain.geometry import mask_to_polygon
from app.domain.geometry import shape_to_bitmap as shape_to_mask
from app.domain.mask import mask_to_points, points_to_mask
from app.editing.stack import UndoStack
from app.media.sources import open_task_source
from app.models.trackers.base import TrackerError, TrackTarget
from app.models.trackers.runner import track_objects
from app.models.trackers.sam2_video import Sam2Tracker
from tests.unit.test_trackers_support import RED_START, RED_STEP, render, sam2_checkpoint, square_at, video_project

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::UserWarning")


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> Sam2Tracker:
    import torch

    torch.set_num_threads(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        checkpoint = sam2_checkpoint(tmp_path_factory.mktemp("sam2"))
        return Sam2Tracker.load(checkpoint, image_size=256, device="cpu")


def _red_polygon(frame: int) -> list[float]:
    x1, y1, x2, y2 = square_at(RED_START, RED_STEP, frame)
    return [float(v) for v in (x1, y1, x2, y1, x2, y2, x1, y2)]


class CountingSource:
    """A frame source that records which frames were decoded."""

    def __init__(self, source) -> None:
        self.source = source
        self.reads: list[int] = []

    def read(self, index: int) -> np.ndarray:
        self.reads.append(index)
        return self.source.read(index)


def test_geometry_largest_contour_and_masks() -> None:
    mask = np.zeros((60, 80), dtype=bool)
    mask[5:10, 5:10] = True  # small blob
    mask[20:50, 30:70] = True  # large blob
    polygon = mask_to_polygon(mask, tolerance=1.0)
    assert polygon is not None and len(polygon) == 8  # a rectangle simplifies to 4 corners
    xs, ys = polygon[0::2], polygon[1::2]
    assert (min(xs), max(xs), min(ys), max(ys)) == (30, 69, 20, 49)
    encoded = mask_to_shape(mask, ShapeType.MASK)
    assert np.array_equal(points_to_mask(encoded, 80, 60), mask)
    assert mask_to_shape(np.zeros((4, 4), bool), ShapeType.POLYGON) is None
    assert shape_to_mask(ShapeType.POLYGON, [30, 20, 69, 20, 69, 49, 30, 49], 80, 60)[20:50, 30:70].all()


def test_memory_stays_bounded_and_types_are_kept(tracker: Sam2Tracker) -> None:
    pre = tracker.preprocess(render(0))
    polygon = tracker.init_state(pre, TrackTarget.of("polygon", _red_polygon(0)))
    red = shape_to_mask(ShapeType.POLYGON, _red_polygon(0), 160, 120)
    mask = tracker.init_state(pre, TrackTarget.of("mask", mask_to_points(red)))
    for frame in range(1, 21):
        pre = tracker.preprocess(render(frame))
        for state, kind in ((polygon, ShapeType.POLYGON), (mask, ShapeType.MASK)):
            points = tracker.track(pre, state)
            if points is not None:
                if kind == ShapeType.POLYGON:
                    assert len(points) >= 6 and len(points) % 2 == 0
                else:
                    assert points_to_mask(points, 160, 120).any()
    for state in (polygon, mask):
        assert state.step == 20
        assert state.stored_frames() <= tracker.pointer_window + 1  # conditioning frame + pointer window
        assert state.memory_frames() <= tracker.memory_window + 1  # conditioning frame + memory window
        assert 0 in state.cond and min(state.recent) > 20 - tracker.pointer_window


def test_rejects_rectangles_and_bad_checkpoints(tracker: Sam2Tracker, tmp_path: Path) -> None:
    with pytest.raises(TrackerError, match="cannot track a rectangle"):
        tracker.init_state(tracker.preprocess(render(0)), TrackTarget.of("rectangle", [1, 1, 20, 20]))
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    with pytest.raises(TrackerError, match="broken.pt"):
        Sam2Tracker.load(broken, image_size=256, device="cpu")


def test_runner_tracks_polygons_forward_from_frames_on_demand(tracker: Sam2Tracker, tmp_path: Path) -> None:
    project, job_id = video_project(tmp_path, 12)
    label = project.labels().by_name("car")
    shape_id = project.add_shapes(job_id, [Shape(ShapeType.POLYGON, 2, label.id, _red_polygon(2))])[0]
    source = CountingSource(open_task_source(project, project.job(job_id).task_id))
    stack = UndoStack()
    outcome = track_objects(project, job_id, source, tracker, 2, 8, shape_ids=[shape_id], undo_stack=stack)
    assert source.reads == [2, 3, 4, 5, 6, 7, 8]  # each frame decoded once, only the frames of the run
    (track,) = project.annotations(job_id).tracks
    frames = [s.frame for s in track.shapes]
    assert frames[0] == 2 and frames == list(range(2, 2 + len(frames)))
    assert track.shapes[0].points == _red_polygon(2)
    assert all(s.type == ShapeType.POLYGON for s in track.shapes)
    if outcome.lost:  # random weights may lose the object: then the track ends with outside
        assert track.shapes[-1].outside and not any(s.outside for s in track.shapes[:-1])
    else:
        assert frames[-1] == 8
    stack.undo()
    assert project.annotations(job_id).tracks == []
    project.close()


def test_runner_tracks_masks_backward(tracker: Sam2Tracker, tmp_path: Path) -> None:
    project, job_id = video_project(tmp_path, 12)
    label = project.labels().by_name("car")
    red = shape_to_mask(ShapeType.POLYGON, _red_polygon(9), 160, 120)
    shape_id = project.add_shapes(job_id, [Shape(ShapeType.MASK, 9, label.id, mask_to_points(red))])[0]
    source = open_task_source(project, project.job(job_id).task_id)
    outcome = track_objects(project, job_id, source, tracker, 9, 5, shape_ids=[shape_id], convert_shapes=False)
    shapes = sorted(project.annotations(job_id).shapes, key=lambda s: s.frame)
    produced = [s.frame for s in shapes if s.id != shape_id]
    expected = [f for f, p in zip(outcome.results[0].frames, outcome.results[0].points, strict=True) if p is not None]
    assert sorted(produced) == sorted(expected) and set(produced) <= {5, 6, 7, 8}
    assert all(s.type == ShapeType.MASK for s in shapes)
    project.close()
