"""What `fieldmark track` / `interact` parse: tracker names, --objects ids, prompts."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.annotations import Shape, Track, TrackedShape
from app.domain.enums import ShapeType
from app.models.interact_once import InteractError, parse_prompts
from app.models.trackers.base import TrackerError
from app.models.trackers.request import objects_for, parse_objects, tracker_key
from tests.unit.test_trackers_support import video_project


def test_tracker_keys() -> None:
    assert tracker_key("mil") == "opencv:mil"
    assert tracker_key("sam2") == "sam2:sam2.1-tiny"
    assert tracker_key("sam2:/m/x.pt") == "sam2:/m/x.pt"
    with pytest.raises(TrackerError, match="unknown tracker 'csrt'"):
        tracker_key("csrt")


def test_parse_objects() -> None:
    assert parse_objects("3, track:5,shape:7,") == [(None, 3), ("track", 5), ("shape", 7)]
    for bad in ("", "x", "box:3", "shape:x"):
        with pytest.raises(ValueError, match="--objects"):
            parse_objects(bad)


def test_objects_resolve_on_the_frame_and_ambiguous_ids_are_refused(tmp_path: Path) -> None:
    project, job_id = video_project(tmp_path, 4)
    car = project.labels().by_name("car")
    (shape_id,) = project.add_shapes(job_id, [Shape(ShapeType.RECTANGLE, 0, car.id, [1, 1, 9, 9])])
    track = Track(car.id, 0, [TrackedShape(ShapeType.RECTANGLE, 0, [2, 2, 8, 8])])
    (track_id,) = project.add_tracks(job_id, [track])
    assert shape_id == track_id  # separate id sequences: the same number names both
    with pytest.raises(ValueError, match=f"{shape_id} is both a shape and a track"):
        objects_for(project, job_id, 0, parse_objects(str(shape_id)))
    assert objects_for(project, job_id, 0, parse_objects(f"shape:{shape_id},track:{track_id}")) == ([shape_id],
                                                                                                  [track_id])
    with pytest.raises(ValueError, match="no shape on frame 1 and no track"):
        objects_for(project, job_id, 1, parse_objects("99"))
    project.close()


def test_prompts() -> None:
    prompts = parse_prompts(["1,2", "3.5,4,neg", "5,6,pos"], "10,20,5,8")
    assert prompts.positive == ((1.0, 2.0), (5.0, 6.0)) and prompts.negative == ((3.5, 4.0),)
    assert prompts.box == (10.0, 20.0, 5.0, 8.0)
    for points, box, message in ((["1"], None, "expected x,y"), (["a,b"], None, "numbers"), ([], None, "give"),
                                 ([], "1,2,3,4,5", "x1,y1,x2,y2")):
        with pytest.raises(InteractError, match=message):
            parse_prompts(points, box)
