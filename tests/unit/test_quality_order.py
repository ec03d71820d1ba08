"""CVAT's list order (not the frame's order) where it decides a result (quality-spec.md §4).

CVAT lists a frame's segmentations as all polygons, then all masks; that list is stably sorted by z_order
for the panoptic painting, so at equal z_order a mask is painted over a polygon whatever their order in
the frame. The same list orders the instances (assignment ties, pair order). The covered-annotation
check keeps the frame's own order.
"""

from __future__ import annotations

import numpy as np

from app.domain.annotations import Annotations, Shape
from app.domain.enums import ShapeType
from app.domain.labels import Label
from app.domain.mask import mask_to_points
from app.quality.compare import compare_frame
from app.quality.settings import QualitySettings

CAR, DOG = 1, 2
LABELS = [Label("car", id=CAR), Label("dog", id=DOG)]


def mask(x0: int, y0: int, x1: int, y1: int, label: int = CAR, **kw) -> Shape:
    """A filled mask over the inclusive pixel box (x0, y0)-(x1, y1)."""
    bitmap = np.zeros((y1 + 1, x1 + 1), bool)
    bitmap[y0 : y1 + 1, x0 : x1 + 1] = True
    return Shape(ShapeType.MASK, 0, label, mask_to_points(bitmap), **kw)


def square(x0: float, y0: float, x1: float, y1: float, label: int = CAR, **kw) -> Shape:
    return Shape(ShapeType.POLYGON, 0, label, [x0, y0, x1, y0, x1, y1, x0, y1], **kw)


def run(gt: list[Shape], ds: list[Shape], settings: QualitySettings | None = None):
    return compare_frame(LABELS, Annotations(shapes=gt), Annotations(shapes=ds), width=100, height=100,
                         settings=settings or QualitySettings())


def summary(result) -> tuple[int, int, list[str]]:
    a = result.stats.annotations
    return a.valid_count, a.total_count, sorted(str(c.type) for c in result.conflicts)


def twice(*shapes: Shape) -> tuple[list[Shape], list[Shape]]:
    return [s.copy() for s in shapes], [s.copy() for s in shapes]


def test_mask_listed_first_is_painted_over_polygon_at_equal_z_order() -> None:
    # The minimal case: CVAT paints the mask over the polygon, so both instances stay visible;
    # the covered check (frame order: the polygon comes later) still reports the mask as covered.
    gt, ds = twice(mask(20, 20, 39, 39), square(10, 10, 60, 60))
    assert summary(run(gt, ds)) == (2, 2, ["covered_annotation"])


def test_polygon_listed_first_gives_the_same_matching_and_no_covered_warning() -> None:
    gt, ds = twice(square(10, 10, 60, 60), mask(20, 20, 39, 39))
    assert summary(run(gt, ds)) == (2, 2, [])


def test_higher_z_order_polygon_hides_the_mask() -> None:
    # z_order decides before the list order: the polygon on top hides the mask on both sides, the
    # empty visible masks never match (IoU 0), and the job's mask is covered.
    gt, ds = twice(mask(20, 20, 39, 39), square(10, 10, 60, 60, z_order=1))
    assert summary(run(gt, ds)) == (1, 3, ["covered_annotation", "extra_annotation", "missing_annotation"])


def test_higher_z_order_mask_stays_on_top_in_any_frame_order() -> None:
    for shapes in ((mask(20, 20, 39, 39, z_order=1), square(10, 10, 60, 60)),
                   (square(10, 10, 60, 60), mask(20, 20, 39, 39, z_order=1))):
        gt, ds = twice(*shapes)
        assert summary(run(gt, ds)) == (2, 2, [])


def test_frame_order_of_mask_and_polygon_does_not_change_the_visible_areas() -> None:
    # GT lists the mask before the polygon, the job after it: by CVAT's rule both sides paint the mask on
    # top, so the visible areas agree. (Painting in frame order would hide the GT mask.)
    gt = [mask(20, 20, 39, 39), square(10, 10, 60, 60, label=DOG)]
    ds = [square(10, 10, 60, 60, label=DOG), mask(20, 20, 39, 39)]
    assert summary(run(gt, ds)) == (2, 2, [])


def test_groups_mixing_masks_and_polygons_paint_in_cvat_list_order() -> None:
    # Ungrouped: a car mask M under a big dog polygon Q (GT lists M first, the job Q first); group 1: a
    # car polygon and a car mask (one instance). find_instances puts the ungrouped singletons first in
    # list order (polygons, then masks), so M is painted over Q on both sides: M and Q match, and the
    # group instance matches as 2x2 member pairs. No conflict (the job's frame order has M on top).
    m, q = mask(20, 20, 39, 39), square(10, 10, 60, 60, label=DOG)
    g_poly, g_mask = square(70, 70, 80, 80, group=1), mask(85, 85, 94, 94, group=1)
    gt = [m.copy(), q.copy(), g_mask.copy(), g_poly.copy()]
    ds = [q.copy(), m.copy(), g_poly.copy(), g_mask.copy()]
    assert summary(run(gt, ds)) == (6, 6, [])


def test_group_mask_at_higher_z_order_than_group_polygon() -> None:
    # A grouped polygon and mask of one instance, the polygon above: the instance's visible area is
    # the union either way, so the groups match as 2x2 pairs; no group or label conflict.
    gt, ds = twice(mask(20, 20, 39, 39, group=3), square(10, 10, 30, 30, group=3, z_order=2))
    assert summary(run(gt, ds)) == (4, 4, [])


def test_assignment_ties_follow_the_polygons_then_masks_order() -> None:
    # Without panoptic comparison a GT mask (car) and a GT polygon (dog) cover the same pixels and tie
    # for one job polygon (car). CVAT's rows are [polygon, mask]: the tie goes to the first row, the dog
    # polygon, a label mismatch; the car mask is missing. (Frame order would give the car mask a match.)
    settings = QualitySettings(panoptic_comparison=False, check_covered_annotations=False)
    gt = [mask(20, 20, 39, 39), square(20, 20, 40, 40, label=DOG)]
    ds = [square(20, 20, 40, 40)]
    result = run(gt, ds, settings)
    sim = result.stats.components.shape
    assert (sim.valid_count, sim.missing_count, sim.extra_count) == (1, 1, 0)
    assert summary(result) == (0, 2, ["mismatching_label", "missing_annotation"])
    missing = next(c for c in result.conflicts if str(c.type) == "missing_annotation")
    assert missing.annotation_ids[0].shape_type == "mask"
