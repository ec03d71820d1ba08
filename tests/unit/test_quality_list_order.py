"""Where CVAT's list order decides a quality result, type by type (docs/quality.md, "List order").

CVAT v2.73 compares a frame's annotations as a list: tags (in job order), then shapes stably sorted by
z_order, where plain shapes come before track shapes. Every matcher takes its type's objects from that
list in that order (segmentations excepted: polygons, then masks, see test_quality_order.py), and SciPy's
``linear_sum_assignment`` gives an exact tie to the earlier row (GT) and the earlier column (job). So the
list order, not the order a file or a store hands the objects over, decides ties. Each case below is
built so that one order gives CVAT's result and any other order gives a different one.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from app.domain.annotations import Annotations, Shape, Tag, Track, TrackedShape
from app.domain.enums import LabelType, ShapeType
from app.domain.labels import Label
from app.domain.mask import mask_to_points
from app.quality.compare import compare_frame
from app.quality.settings import QualitySettings

CAR, DOG, SKEL = 1, 2, 10
LABELS = [
    Label("car", id=CAR),
    Label("dog", id=DOG),
    Label("skel", type=LabelType.SKELETON, id=SKEL, sublabels=[
        Label("a", type=LabelType.POINTS, id=11, parent_id=SKEL),
        Label("b", type=LabelType.POINTS, id=12, parent_id=SKEL),
    ]),
]


def rect(x0: float, y0: float, x1: float, y1: float, label: int = CAR, **kw) -> Shape:
    return Shape(ShapeType.RECTANGLE, 0, label, [x0, y0, x1, y1], **kw)


def square(x0: float, y0: float, x1: float, y1: float, label: int = CAR, **kw) -> Shape:
    return Shape(ShapeType.POLYGON, 0, label, [x0, y0, x1, y0, x1, y1, x0, y1], **kw)


def mask(x0: int, y0: int, x1: int, y1: int, label: int = CAR, **kw) -> Shape:
    bitmap = np.zeros((y1 + 1, x1 + 1), bool)
    bitmap[y0 : y1 + 1, x0 : x1 + 1] = True
    return Shape(ShapeType.MASK, 0, label, mask_to_points(bitmap), **kw)


def skel(points: list[tuple[float, float]], **kw) -> Shape:
    elements = [Shape(ShapeType.POINTS, 0, 11 + k, [x, y]) for k, (x, y) in enumerate(points)]
    return Shape(ShapeType.SKELETON, 0, SKEL, [], elements=elements, **kw)


def run(gt: Annotations | list[Shape], ds: Annotations | list[Shape], settings: QualitySettings | None = None):
    gt = gt if isinstance(gt, Annotations) else Annotations(shapes=gt)
    ds = ds if isinstance(ds, Annotations) else Annotations(shapes=ds)
    return compare_frame(LABELS, gt, ds, width=200, height=200, settings=settings or QualitySettings())


def conflicts(result, kind: str) -> list[list[tuple[str, int]]]:
    """Each conflict of ``kind`` as its (type, obj_id) list, in report order."""
    return [[(a.type, a.obj_id) for a in c.annotation_ids] for c in result.conflicts if str(c.type) == kind]


def counts(result) -> tuple[int, int, int]:
    s = result.stats.components.shape
    return s.valid_count, s.missing_count, s.extra_count


# ---------------------------------------------------------------------------------------- the tie rule


def test_scipy_gives_an_exact_tie_to_the_first_row_and_column() -> None:
    # The rule every case below rests on (CVAT and Fieldmark call the same solver on the same matrix).
    rows, cols = linear_sum_assignment(np.array([[0.0, 1.0], [0.0, 1.0]]))
    assert (rows.tolist(), cols.tolist()) == ([0, 1], [0, 1])
    rows, cols = linear_sum_assignment(np.array([[0.5, 0.5], [0.5, 0.5]]))
    assert (rows.tolist(), cols.tolist()) == ([0, 1], [0, 1])


# ---------------------------------------------------------------------------------------- per type


def test_box_tie_goes_to_the_lower_z_order_not_the_file_order() -> None:
    # GT lists a dog box (z 1) before an identical car box (z 0); CVAT's list is [car, dog], so the job's
    # car box matches the car. In file order the dog would win the tie (a label mismatch).
    gt = [rect(10, 10, 50, 50, DOG, z_order=1, id=1), rect(10, 10, 50, 50, CAR, id=2)]
    result = run(gt, [rect(10, 10, 50, 50, CAR, id=10)])
    assert counts(result) == (1, 1, 0)
    assert conflicts(result, "missing_annotation") == [[("shape", 1)]]
    assert not conflicts(result, "mismatching_label")


def test_box_tie_at_equal_z_order_goes_to_the_earlier_box() -> None:
    # Equal z_order: the stable sort keeps the job's order, the first box wins even with the wrong label.
    gt = [rect(10, 10, 50, 50, DOG, id=1), rect(10, 10, 50, 50, CAR, id=2)]
    result = run(gt, [rect(10, 10, 50, 50, CAR, id=10)])
    assert conflicts(result, "mismatching_label") == [[("shape", 10), ("shape", 1)]]
    assert conflicts(result, "missing_annotation") == [[("shape", 2)]]


def test_job_side_ties_follow_the_same_list_order() -> None:
    # Two identical job boxes for one GT box: the lower z_order one (listed second) is matched.
    ds = [rect(10, 10, 50, 50, CAR, z_order=2, id=10), rect(10, 10, 50, 50, CAR, z_order=1, id=11)]
    result = run([rect(10, 10, 50, 50, CAR, id=1)], ds)
    assert conflicts(result, "extra_annotation") == [[("shape", 10)]]


def test_ellipse_tie_goes_to_the_lower_z_order() -> None:
    e = [100, 100, 130, 80]
    gt = [Shape(ShapeType.ELLIPSE, 0, DOG, list(e), z_order=3, id=1), Shape(ShapeType.ELLIPSE, 0, CAR, list(e), id=2)]
    result = run(gt, [Shape(ShapeType.ELLIPSE, 0, CAR, list(e), id=10)])
    assert counts(result) == (1, 1, 0)
    assert conflicts(result, "missing_annotation") == [[("shape", 1)]]


def test_polyline_tie_goes_to_the_lower_z_order() -> None:
    line = [10, 10, 90, 20, 150, 80]
    gt = [Shape(ShapeType.POLYLINE, 0, DOG, list(line), z_order=1, id=1),
          Shape(ShapeType.POLYLINE, 0, CAR, list(line), id=2)]
    result = run(gt, [Shape(ShapeType.POLYLINE, 0, CAR, list(line), id=10)])
    assert counts(result) == (1, 1, 0)
    assert conflicts(result, "missing_annotation") == [[("shape", 1)]]


def test_points_tie_goes_to_the_lower_z_order() -> None:
    gt = [Shape(ShapeType.POINTS, 0, DOG, [40, 40], z_order=1, id=1), Shape(ShapeType.POINTS, 0, CAR, [40, 40], id=2)]
    result = run(gt, [Shape(ShapeType.POINTS, 0, CAR, [40, 40], id=10)])
    assert counts(result) == (1, 1, 0)
    assert conflicts(result, "missing_annotation") == [[("shape", 1)]]


def test_skeleton_tie_goes_to_the_lower_z_order_and_absent_skeletons_take_no_row() -> None:
    # GT: an all-outside skeleton (dropped before the assignment), then two identical skeletons, the one
    # listed first at z 1. The job skeleton matches the z-0 one; the dropped one is never reported.
    pts = [(20.0, 20.0), (60.0, 50.0)]
    gone = skel(pts, id=1)
    for e in gone.elements:
        e.outside = True
    gt = [gone, skel(pts, z_order=1, id=2), skel(pts, id=3)]
    result = run(gt, [skel(pts, id=10)])
    assert counts(result) == (1, 1, 0)
    assert conflicts(result, "missing_annotation") == [[("shape", 2)]]


def test_tag_tie_goes_to_the_first_tag_of_the_job() -> None:
    # Tags have no z_order: CVAT keeps the job's order (tags come before every shape in the list).
    gt = Annotations(tags=[Tag(0, CAR, id=1), Tag(0, CAR, id=2)])
    result = run(gt, Annotations(tags=[Tag(0, CAR, id=10)]))
    assert conflicts(result, "missing_annotation") == [[("tag", 2)]]


def test_plain_shapes_come_before_track_shapes_at_equal_z_order() -> None:
    # CVAT lists a frame's plain shapes before the shapes of its tracks (then sorts stably by z_order):
    # a plain dog box wins the tie against a tracked car box, whatever was created first.
    track = Track(CAR, 0, shapes=[TrackedShape(ShapeType.RECTANGLE, 0, [10, 10, 50, 50])], id=7)
    gt = Annotations(shapes=[rect(10, 10, 50, 50, DOG, id=1)], tracks=[track])
    result = run(gt, [rect(10, 10, 50, 50, CAR, id=10)])
    assert conflicts(result, "mismatching_label") == [[("shape", 10), ("shape", 1)]]
    assert conflicts(result, "missing_annotation") == [[("track", 7)]]


def test_segmentation_instances_list_ungrouped_before_groups() -> None:
    # Instances come from find_instances: ungrouped annotations first, then groups by group id, so an
    # ungrouped dog polygon is the first row even when a grouped car polygon precedes it in the frame.
    settings = QualitySettings(panoptic_comparison=False, check_covered_annotations=False)
    gt = [square(20, 20, 60, 60, CAR, group=2, id=1), square(20, 20, 60, 60, DOG, id=2)]
    result = run(gt, [square(20, 20, 60, 60, CAR, id=10)], settings)
    assert conflicts(result, "mismatching_label") == [[("shape", 10), ("shape", 2)]]
    assert conflicts(result, "missing_annotation") == [[("shape", 1)]]


# ---------------------------------------------------------------------------------------- groups


def test_group_tie_goes_to_the_lower_group_id_not_the_file_order() -> None:
    # GT group 5 {a1, a2} is listed before group 3 {b1, b2}; the job draws all four as one group. Both GT
    # groups have Jaccard 2 / 4 = 0.5 with it (a tie at the threshold); find_instances orders groups by
    # id, so group 3 gets the job group and the pairs of group 5 are the mismatching_groups conflicts.
    boxes = [(10, 10, 30, 30), (40, 10, 60, 30), (10, 100, 30, 120), (40, 100, 60, 120)]
    gt = [rect(*boxes[0], group=5, id=1), rect(*boxes[1], group=5, id=2),
          rect(*boxes[2], group=3, id=3), rect(*boxes[3], group=3, id=4)]
    ds = [rect(*b, group=1, id=10 + k) for k, b in enumerate(boxes)]
    result = run(gt, ds)
    assert counts(result) == (4, 0, 0)
    assert conflicts(result, "mismatching_groups") == [[("shape", 10), ("shape", 1)], [("shape", 11), ("shape", 2)]]


# ---------------------------------------------------------------------------------------- report order


def test_conflicts_follow_the_type_order_then_the_list_order() -> None:
    # Missing annotations are listed by type (bbox, points, segmentation, polyline, skeleton, tag,
    # ellipse), within the segmentations polygons before masks, whatever the frame order.
    gt = Annotations(
        shapes=[Shape(ShapeType.ELLIPSE, 0, CAR, [150, 150, 170, 140], id=1), mask(100, 100, 110, 110, id=2),
                square(120, 120, 130, 130, id=3), skel([(5.0, 5.0), (9.0, 9.0)], id=4),
                Shape(ShapeType.POLYLINE, 0, CAR, [0, 190, 50, 190], id=5),
                Shape(ShapeType.POINTS, 0, CAR, [70, 70], id=6), rect(10, 10, 20, 20, id=7)],
        tags=[Tag(0, DOG, id=8)])
    result = run(gt, Annotations())
    assert [ids[0][1] for ids in conflicts(result, "missing_annotation")] == [7, 6, 3, 2, 5, 4, 8, 1]


def test_covered_check_uses_the_frame_order_at_equal_z_order() -> None:
    # The covered-annotation check takes rectangles, ellipses, polygons and masks in the frame's own
    # order (stably by z_order): of two equal outlines the earlier one is hidden by the later one.
    for first, second in ((rect(10, 10, 50, 50, id=10), square(10, 10, 50, 50, id=11)),
                          (square(10, 10, 50, 50, id=10), rect(10, 10, 50, 50, id=11))):
        result = run([], [first, second])
        assert conflicts(result, "covered_annotation") == [[("shape", 10)]]
    result = run([], [rect(10, 10, 50, 50, z_order=1, id=10), square(10, 10, 50, 50, id=11)])
    assert conflicts(result, "covered_annotation") == [[("shape", 11)]]
