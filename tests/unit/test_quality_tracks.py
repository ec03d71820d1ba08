"""Tracks are compared as their per-frame shapes; job filters; consensus details."""

from __future__ import annotations

import pytest

from app.domain.annotations import Annotations, Shape, Tag, Track, TrackedShape
from app.domain.enums import ShapeType
from app.quality import jsonlogic
from app.quality.compare import compare_jobs
from app.quality.consensus import merge_frame, tag_scores
from app.quality.frames import FrameMeta
from tests.unit.test_quality_matching import CAR, DOG, LABELS


def frames(*ids: int) -> list[FrameMeta]:
    return [FrameMeta(i, f"{i}.png", 200, 200) for i in ids]


def test_track_frames_are_compared_and_referenced_as_tracks() -> None:
    track = Track(label_id=CAR, frame=0, id=42, shapes=[
        TrackedShape(ShapeType.RECTANGLE, 0, [0, 0, 20, 20]),
        TrackedShape(ShapeType.RECTANGLE, 4, [40, 0, 60, 20]),
        TrackedShape(ShapeType.RECTANGLE, 6, [40, 0, 60, 20], outside=True),
    ])
    gt = Annotations(shapes=[Shape(ShapeType.RECTANGLE, 2, CAR, [20, 0, 40, 20]),
                             Shape(ShapeType.RECTANGLE, 7, CAR, [40, 0, 60, 20])])
    report = compare_jobs(LABELS, gt, Annotations(tracks=[track]), frames(2, 7), total_frames=8)
    assert report.summary()["valid_count"] == 1  # frame 2 interpolated onto the GT box; frame 7 is outside
    (missing,) = report.conflicts
    assert str(missing.type) == "missing_annotation" and missing.frame_id == 7
    ds_only = compare_jobs(LABELS, Annotations(), Annotations(tracks=[track]), frames(2), total_frames=8)
    (extra,) = ds_only.conflicts
    ref = extra.annotation_ids[0]
    assert (ref.obj_id, ref.type, ref.shape_type) == (42, "track", "rectangle")


def test_job_filter_json_logic() -> None:
    job = {"id": 3, "type": "annotation", "state": "new", "stage": "annotation", "assignee": "ann",
           "task_id": 1, "task_name": "t"}
    rule = jsonlogic.parse('{"and": [{"==": [{"var": "type"}, "annotation"]}, {"in": [{"var": "id"}, [1, 3]]}]}')
    assert jsonlogic.evaluate(rule, job)
    assert not jsonlogic.evaluate(jsonlogic.parse('{"!=": [{"var": "assignee"}, "ann"]}'), job)
    assert jsonlogic.evaluate(jsonlogic.parse('{"<=": [2, {"var": "id"}, 4]}'), job)
    assert jsonlogic.parse("") is None and jsonlogic.parse("[]") is None
    with pytest.raises(jsonlogic.JsonLogicError, match="unknown job filter field"):
        jsonlogic.evaluate(jsonlogic.parse('{"==": [{"var": "color"}, 1]}'), job)
    with pytest.raises(jsonlogic.JsonLogicError):
        jsonlogic.parse("{oops")


def rect(x: float, label: int = CAR, **kw) -> Shape:
    return Shape(ShapeType.RECTANGLE, 0, label, [x, 10, x + 30, 40], **kw)


def test_consensus_votes_attributes_groups_and_tags() -> None:
    r1 = Annotations(shapes=[rect(10, attributes={5: "a"}, group=1), rect(100, group=1)], tags=[Tag(0, CAR)])
    r2 = Annotations(shapes=[rect(11, attributes={5: "b"}, group=3, z_order=2), rect(101, group=3)],
                     tags=[Tag(0, CAR), Tag(0, DOG)])
    r3 = Annotations(shapes=[rect(12, attributes={5: "b"}, occluded=True)])
    merged, agree = merge_frame([r1, r2, r3], LABELS, 0, 200, 200)
    shapes = sorted(merged.shapes, key=lambda s: s.points[0])
    assert [s.score for s in shapes] == [1.0, 0.67]
    assert shapes[0].attributes[5] == "b" and shapes[0].z_order == 2 and not shapes[0].occluded
    assert shapes[0].group == shapes[1].group == 1
    assert [t.label_id for t in merged.tags] == [CAR, DOG] and merged.tags[0].source.value == "consensus"
    assert tag_scores([r1.tags, r2.tags, r3.tags], 3) == {CAR: 0.67, DOG: 0.33}
    assert [t.score for t in merged.tags] == [0.67, 0.33]  # merged tags carry CVAT's score
    assert (agree.clusters, agree.full) == (2, 1)


def test_consensus_never_takes_two_objects_of_one_replica() -> None:
    r1 = Annotations(shapes=[rect(10), rect(12)])
    r2 = Annotations(shapes=[rect(11)])
    merged, agree = merge_frame([r1, r2], LABELS, 0, 200, 200)
    assert sorted(s.score for s in merged.shapes) == [0.5, 1.0]
    assert agree.clusters == 2
