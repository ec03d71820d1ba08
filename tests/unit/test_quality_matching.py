"""Similarity functions and the assignment rule of CVAT v2.73, one rule per test."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pycocotools import mask as coco

from app.domain.annotations import Annotations, Shape, Tag
from app.domain.enums import AttributeType, LabelType, ShapeType
from app.domain.labels import AttributeSpec, Label
from app.domain.mask import mask_to_points
from app.quality import rle
from app.quality.assignment import assign
from app.quality.compare import compare_frame
from app.quality.match_lines import LineSimilarity, approximate_points
from app.quality.objects import QObject
from app.quality.settings import QualitySettings

CAR, DOG, SKEL = 1, 2, 10


def make_labels() -> list[Label]:
    car = Label("car", id=CAR, attributes=[
        AttributeSpec("n", AttributeType.NUMBER, ["0", "10", "1"], "0", id=3),
        AttributeSpec("c", AttributeType.CHECKBOX, ["false"], "false", id=4),
        AttributeSpec("t", AttributeType.TEXT, [], "x", id=5),
    ])
    dog = Label("dog", id=DOG)
    skel = Label("skel", type=LabelType.SKELETON, id=SKEL, sublabels=[
        Label("a", type=LabelType.POINTS, id=11, parent_id=SKEL),
        Label("b", type=LabelType.POINTS, id=12, parent_id=SKEL),
        Label("c", type=LabelType.POINTS, id=13, parent_id=SKEL),
    ])
    return [car, dog, skel]


LABELS = make_labels()


def rect(x1, y1, x2, y2, label=CAR, **kw) -> Shape:
    return Shape(ShapeType.RECTANGLE, 0, label, [x1, y1, x2, y2], **kw)


def poly(points, label=CAR, **kw) -> Shape:
    return Shape(ShapeType.POLYGON, 0, label, list(points), **kw)


def square(x, y, size, label=CAR, **kw) -> Shape:
    return poly([x, y, x + size, y, x + size, y + size, x, y + size], label, **kw)


def ann(*shapes, tags=()) -> Annotations:
    return Annotations(shapes=list(shapes), tags=list(tags))


def run(gt, ds, settings=None, width=200, height=200):
    return compare_frame(LABELS, gt, ds, width=width, height=height, settings=settings or QualitySettings())


def types(result) -> list[str]:
    return sorted(str(c.type) for c in result.conflicts)


def counts(result) -> tuple[int, int, int, int]:
    a = result.stats.annotations
    return a.valid_count, a.ds_count, a.gt_count, a.total_count


# ----------------------------------------------------------------------------- assignment


def test_assignment_threshold_is_inclusive_and_zero_never_matches() -> None:
    a, b = ["a"], ["b"]
    eq = lambda x, y: True  # noqa: E731
    assert assign(a, b, np.array([[0.4]]), 0.4, eq).matches == [("a", "b")]
    assert assign(a, b, np.array([[0.39]]), 0.4, eq).a_unmatched == ["a"]
    zero = assign(a, b, np.array([[0.0]]), 0.0, eq)
    assert zero.matches == [] and zero.a_unmatched == ["a"] and zero.b_unmatched == ["b"]
    assert assign(a, b, np.array([[-1.0]]), 0.0, eq).matches == []
    assert assign(a, b, np.array([[np.nan]]), 0.0, eq).matches == []


def test_assignment_uses_geometry_then_labels() -> None:
    # GT car overlaps the job dog best: paired as a label mismatch even though a worse car exists.
    result = run(ann(rect(0, 0, 10, 10)), ann(rect(0, 0, 10, 10, label=DOG), rect(0, 0, 10, 6)))
    assert types(result) == ["extra_annotation", "mismatching_label"]
    assert counts(result) == (0, 2, 1, 2)


# ----------------------------------------------------------------------------- boxes and ellipses


def test_box_iou_is_exact_continuous() -> None:
    result = run(ann(rect(0, 0, 10, 10)), ann(rect(2, 0, 12, 10)))
    assert types(result) == ["low_overlap"]
    assert result.stats.components.shape.mean_iou == pytest.approx(80 / 120, abs=0)


def test_boxes_touching_do_not_match_and_mean_iou_clips_minus_one() -> None:
    result = run(ann(rect(0, 0, 10, 10)), ann(rect(10, 0, 20, 10)))
    assert types(result) == ["extra_annotation", "missing_annotation"]
    assert result.stats.components.shape.mean_iou == 0


def test_rotated_boxes_use_rasterized_polygons() -> None:
    gt = rect(50, 50, 90, 70, rotation=30.0)
    ds = rect(50, 50, 90, 70, rotation=0.0)
    result = run(ann(gt), ann(ds))
    # reference: pycocotools on the turned outline, rounded to 2 decimals as CVAT does
    cx, cy, a = 70, 60, math.radians(30)
    pts = []
    for x, y in [(50, 50), (90, 50), (90, 70), (50, 70)]:
        rx, ry = x - cx, y - cy
        pts += [round(rx * math.cos(a) - ry * math.sin(a) + cx, 2), round(rx * math.sin(a) + ry * math.cos(a) + cy, 2)]
    r1 = coco.frPyObjects([pts], 200, 200)
    r2 = coco.frPyObjects([[50, 50, 90, 50, 90, 70, 50, 70]], 200, 200)
    expected = float(coco.iou(r2, r1, [0])[0][0])
    assert result.stats.components.shape.mean_iou == pytest.approx(expected, abs=1e-12)
    same = run(ann(rect(50, 50, 90, 70, rotation=30.0)), ann(rect(52, 50, 92, 70, rotation=30.0)))
    assert same.stats.components.shape.mean_iou == pytest.approx(760 / 840, abs=1e-12)  # continuous IoU


def test_ellipses_always_rasterized() -> None:
    e1 = Shape(ShapeType.ELLIPSE, 0, CAR, [100, 100, 130, 80])
    e2 = Shape(ShapeType.ELLIPSE, 0, CAR, [104, 100, 134, 80])
    result = run(ann(e1), ann(e2))
    theta = np.linspace(0, 2 * np.pi, 720)
    def outline(cx):
        return np.around(np.column_stack([cx + 30 * np.cos(theta), 100 + 20 * np.sin(theta)]).ravel(), 2).tolist()
    expected = float(coco.iou(coco.frPyObjects([outline(104)], 200, 200), coco.frPyObjects([outline(100)], 200, 200),
                              [0])[0][0])
    assert result.stats.components.shape.mean_iou == pytest.approx(expected, abs=1e-12)
    assert result.stats.annotations.valid_count == 1


# ----------------------------------------------------------------------------- polygons and masks


def test_polygon_matches_mask_by_pixel_iou() -> None:
    bitmap = np.zeros((200, 200), bool)
    bitmap[20:40, 20:40] = True
    mask = Shape(ShapeType.MASK, 0, CAR, mask_to_points(bitmap))
    result = run(ann(square(20, 20, 20)), ann(mask))
    assert counts(result) == (1, 1, 1, 1)
    poly_rle = coco.frPyObjects([[20, 20, 40, 20, 40, 40, 20, 40]], 200, 200)
    mask_rle = coco.encode(np.asfortranarray(bitmap.astype(np.uint8)))
    expected = float(coco.iou([mask_rle], poly_rle, [0])[0][0])
    assert result.stats.components.shape.mean_iou == pytest.approx(expected, abs=1e-12)


def test_grouped_polygons_are_one_instance_counted_as_product() -> None:
    gt = ann(square(10, 10, 10, group=1), square(30, 10, 10, group=1))
    ds = ann(square(10, 10, 10, group=5), square(30, 10, 10, group=5))
    result = run(gt, ds)
    assert counts(result) == (4, 4, 4, 4)
    assert result.conflicts == []


def test_group_members_with_other_label_form_their_own_instance() -> None:
    gt = ann(square(10, 10, 10, group=1), square(30, 10, 10, group=1, label=DOG))
    ds = ann(square(10, 10, 10), square(30, 10, 10, label=DOG))
    result = run(gt, ds)
    assert counts(result) == (2, 2, 2, 2)


def test_panoptic_uses_visible_pixels_only() -> None:
    # GT: small square fully covered by a later big one -> invisible with panoptic comparison.
    gt = ann(square(10, 10, 10), square(0, 0, 40, label=DOG, z_order=1))
    ds = ann(square(10, 10, 10), square(0, 0, 40, label=DOG, z_order=1))
    panoptic = run(gt, ds)
    plain = run(gt, ds, QualitySettings(panoptic_comparison=False, check_covered_annotations=False))
    assert plain.stats.annotations.valid_count == 2
    assert panoptic.stats.annotations.valid_count == 1  # the hidden instance has IoU 0 (empty vs empty)
    assert "covered_annotation" in types(panoptic)


def test_covered_check_job_side_only_and_toggle() -> None:
    gt = ann(square(10, 10, 10), square(0, 0, 40, label=DOG, z_order=1))
    ds = ann(square(60, 60, 10))
    result = run(gt, ds, QualitySettings(panoptic_comparison=False))
    assert "covered_annotation" not in types(result)
    covered = run(ann(), ann(rect(10, 10, 20, 20), rect(0, 0, 40, 40, z_order=2)))
    assert types(covered).count("covered_annotation") == 1
    assert covered.conflicts[-1].annotation_ids[0].shape_type == "rectangle"
    off = run(ann(), ann(rect(10, 10, 20, 20), rect(0, 0, 40, 40, z_order=2)),
              QualitySettings(check_covered_annotations=False))
    assert "covered_annotation" not in types(off)


def test_covered_equal_z_order_later_in_list_is_on_top() -> None:
    result = run(ann(), ann(rect(0, 0, 40, 40), rect(10, 10, 20, 20)))
    assert "covered_annotation" not in types(result)
    result = run(ann(), ann(rect(10, 10, 20, 20), rect(0, 0, 40, 40)))
    assert types(result).count("covered_annotation") == 1


def test_object_visibility_threshold() -> None:
    # 10x10 box, 9x10 hidden by the top box: 10% visible
    shapes = ann(rect(10, 10, 20, 20), rect(0, 0, 19, 40, z_order=1))
    assert "covered_annotation" not in types(run(ann(), shapes))
    assert "covered_annotation" in types(run(ann(), shapes, QualitySettings(object_visibility_threshold=0.2)))


# ----------------------------------------------------------------------------- polylines


def line(points, label=CAR) -> Shape:
    return Shape(ShapeType.POLYLINE, 0, label, list(points))


def test_line_similarity_formula_and_early_exit() -> None:
    sim = LineSimilarity(scale=100 * 100, thickness=0.01, oriented=False)
    a = QObject("polyline", 0, None, points=[0.0, 0.0, 10.0, 0.0])  # type: ignore[arg-type]
    b = QObject("polyline", 0, None, points=[0.0, 1.0, 10.0, 1.0])  # type: ignore[arg-type]
    expected = math.exp(-1 / (2 * 10000 * (0.02**2)))
    assert sim(a, b) == pytest.approx(expected, rel=1e-12)
    far = QObject("polyline", 0, None, points=[90.0, 90.0, 99.0, 90.0])  # type: ignore[arg-type]
    assert sim(a, far) == 0


def test_line_resampling_keeps_corners() -> None:
    a, b = approximate_points(np.array([[0, 0], [10, 0]], float), np.array([[0, 0], [5, 0], [10, 0]], float))
    assert a.tolist() == [[0, 0], [5, 0], [10, 0]] and b.tolist() == [[0, 0], [5, 0], [10, 0]]


def test_reversed_line_matches_but_gets_direction_warning() -> None:
    pts = [10, 10, 60, 10, 60, 60]
    rev = [60, 60, 60, 10, 10, 10]
    result = run(ann(line(pts)), ann(line(rev)))
    assert types(result) == ["mismatching_direction"]
    off = run(ann(line(pts)), ann(line(rev)), QualitySettings(compare_line_orientation=False))
    assert off.conflicts == []
    high = run(ann(line(pts)), ann(line(rev)), QualitySettings(line_orientation_threshold=1.0))
    assert high.conflicts == []


def test_line_thickness_widens_tolerance() -> None:
    a, b = ann(line([10, 10, 100, 10])), ann(line([10, 18, 100, 18]))
    assert run(a, b).stats.annotations.valid_count == 0
    assert run(a, b, QualitySettings(line_thickness=0.05)).stats.annotations.valid_count == 1


# ----------------------------------------------------------------------------- points and skeletons


def pts(*xy, label=CAR, **kw) -> Shape:
    return Shape(ShapeType.POINTS, 0, label, list(xy), **kw)


def test_single_points_compare_in_image_space() -> None:
    result = run(ann(pts(50, 50)), ann(pts(53, 54)))
    scale = 200 * 200
    expected = math.exp(-25 / (2 * scale * (2 * 0.09) ** 2))
    assert result.stats.components.shape.mean_iou == pytest.approx(expected, rel=1e-12)


def test_multi_point_sets_pair_points_and_penalise_count() -> None:
    gt = ann(pts(10, 10, 50, 50, 90, 10))
    ds = ann(pts(90, 10, 10, 10, 50, 50))  # same points, other order
    assert run(gt, ds).stats.components.shape.mean_iou == pytest.approx(1.0)
    fewer = run(gt, ann(pts(10, 10, 50, 50)))
    assert fewer.stats.components.shape.mean_iou == pytest.approx(2 / 3, rel=1e-9)


def test_point_size_base_image_size_changes_scale() -> None:
    gt, ds = ann(pts(10, 10, 20, 20)), ann(pts(11, 10, 21, 20))
    group = run(gt, ds).stats.components.shape.mean_iou
    image = run(gt, ds, QualitySettings(point_size_base="image_size")).stats.components.shape.mean_iou
    box = [10.5, 10, 10, 10]  # mean of the two 10x10 bboxes
    assert group == pytest.approx(math.exp(-1 / (2 * box[2] * box[3] * 0.18**2)), rel=1e-12)
    assert image == pytest.approx(math.exp(-1 / (2 * 40000 * 0.18**2)), rel=1e-12)


def test_grouped_single_points_use_group_bbox() -> None:
    gt = ann(rect(0, 0, 20, 20, group=1), pts(10, 10, group=1))
    ds = ann(rect(0, 0, 20, 20, group=1), pts(12, 10, group=1))
    result = run(gt, ds)
    expected_points = math.exp(-4 / (2 * 400 * 0.18**2))
    assert result.stats.components.shape.mean_iou == pytest.approx((1 + expected_points) / 2, rel=1e-12)


def skel(points, vis, label=SKEL, **kw) -> Shape:
    elements = []
    for k, ((x, y), v) in enumerate(zip(points, vis)):
        elements.append(Shape(ShapeType.POINTS, 0, 11 + k, [x, y], occluded=v == "h", outside=v == "o"))
    return Shape(ShapeType.SKELETON, 0, label, [], elements=elements, **kw)


def test_skeleton_oks_hidden_counts_as_not_visible() -> None:
    p = [(10, 10), (30, 10), (20, 30)]
    same = run(ann(skel(p, "vvv")), ann(skel(p, "vvv")))
    assert same.stats.components.shape.mean_iou == pytest.approx(1.0)
    hidden = run(ann(skel(p, "vvv")), ann(skel(p, "vvh")))
    assert hidden.stats.components.shape.mean_iou == pytest.approx(2 / 3)
    assert types(hidden) == ["low_overlap"]


def test_all_absent_skeleton_is_dropped() -> None:
    p = [(10, 10), (30, 10), (20, 30)]
    result = run(ann(skel(p, "ooo")), ann())
    assert result.conflicts == [] and counts(result) == (0, 0, 0, 0)


# ----------------------------------------------------------------------------- tags


def test_tags_always_pair_and_prefer_equal_labels() -> None:
    gt = ann(tags=[Tag(0, CAR), Tag(0, DOG)])
    ds = ann(tags=[Tag(0, DOG), Tag(0, CAR)])
    assert counts(run(gt, ds)) == (2, 2, 2, 2)
    result = run(ann(tags=[Tag(0, CAR)]), ann(tags=[Tag(0, DOG)]))
    assert types(result) == ["mismatching_label"]
    assert result.stats.components.shape.total_count == 0
    assert result.stats.components.label.invalid_count == 1


# ----------------------------------------------------------------------------- rle helpers


def test_region_ops_match_pycocotools() -> None:
    rng = np.random.default_rng(1)
    for _ in range(200):
        h, w = int(rng.integers(10, 80)), int(rng.integers(10, 80))
        p1 = np.round(rng.uniform(0, 80, 8), 2).tolist()
        p2 = np.round(rng.uniform(0, 80, 10), 2).tolist()
        a, b = rle.from_polygons([p1], h, w), rle.from_polygons([p2], h, w)
        ca, cb = coco.frPyObjects([p1], h, w), coco.frPyObjects([p2], h, w)
        assert rle.iou(a, b) == float(coco.iou(cb, ca, [0])[0][0])
        assert rle.union([a, b], h, w).area == int(coco.area(coco.merge(ca + cb)))
        assert rle.intersection(a, b).area == int(coco.area(coco.merge(ca + cb, intersect=True)))
        assert rle.difference(a, b).area == a.area - rle.intersection_area(a, b)
        assert a.bbox() == list(coco.toBbox(ca[0]))


def test_cvat_mask_conversion_is_clipped_and_exact() -> None:
    bitmap = np.zeros((30, 40), bool)
    bitmap[5:9, 30:40] = True
    region = rle.from_cvat_mask(mask_to_points(bitmap), 30, 40)
    ref = coco.encode(np.asfortranarray(bitmap.astype(np.uint8)))
    assert region.area == int(coco.area(ref)) and region.bbox() == list(coco.toBbox(ref))
    clipped = rle.from_cvat_mask([0, 100, 35, 5, 44, 14], 30, 40)  # 10x10 box reaching past the right edge
    assert clipped.area == 5 * 10
