"""app.domain.geometry: shapes -> bitmaps and masks (bitmaps or CVAT run lengths) -> polygons."""

from __future__ import annotations

import numpy as np
import pytest

from app.domain.enums import ShapeType
from app.domain.geometry import (
    PolygonizeError,
    bitmap_bbox,
    bitmap_to_shape,
    ellipse_to_bitmap,
    fill_polygon,
    mask_outlines,
    mask_points_to_polygon,
    mask_to_polygon,
    polygon_to_bitmap,
    polygon_to_mask_points,
    shape_to_bitmap,
)
from app.domain.mask import mask_to_points, points_to_mask


def box_mask(h: int, w: int, rows: slice, cols: slice) -> np.ndarray:
    m = np.zeros((h, w), bool)
    m[rows, cols] = True
    return m


# ---------------------------------------------------------------- polygon -> bitmap


def test_polygon_to_bitmap_includes_the_boundary_pixels() -> None:
    got = polygon_to_bitmap([2, 1, 5, 1, 5, 3, 2, 3], 8, 6)
    assert np.array_equal(got, box_mask(6, 8, slice(1, 4), slice(2, 6)))
    assert got.dtype == bool


def test_polygon_vertices_are_rounded_to_pixels() -> None:
    assert np.array_equal(polygon_to_bitmap([1.6, 1.4, 3.4, 1.4, 3.4, 2.6, 1.6, 2.6], 5, 5),
                          box_mask(5, 5, slice(1, 4), slice(2, 4)))


def test_degenerate_polygons_fill_nothing() -> None:
    assert not polygon_to_bitmap([], 4, 4).any()
    assert not polygon_to_bitmap([1, 1, 3, 3], 4, 4).any()  # two vertices


def test_points_outside_the_image_are_clipped() -> None:
    got = polygon_to_bitmap([-10, -10, 3, -10, 3, 2, -10, 2], 6, 5)
    assert np.array_equal(got, box_mask(5, 6, slice(0, 3), slice(0, 4)))
    assert not polygon_to_bitmap([20, 20, 30, 20, 30, 30], 6, 5).any()  # wholly outside


def test_fill_polygon_in_place_can_erase() -> None:
    bitmap = np.ones((5, 5), np.uint8)
    out = fill_polygon(bitmap, [1, 1, 3, 1, 3, 3, 1, 3], 0)
    assert out is bitmap and int(bitmap.sum()) == 25 - 9


def test_polygon_to_mask_points_is_cvat_encoding_of_the_tight_box() -> None:
    points = polygon_to_mask_points([2, 1, 5, 1, 5, 3, 2, 3], 8, 6)
    assert points[-4:] == [2, 1, 5, 3]
    assert np.array_equal(points_to_mask(points, 8, 6), box_mask(6, 8, slice(1, 4), slice(2, 6)))


def test_shape_to_bitmap_of_each_fillable_type() -> None:
    rect = shape_to_bitmap(ShapeType.RECTANGLE, [1, 1, 4, 2], 6, 6)
    assert np.array_equal(rect, box_mask(6, 6, slice(1, 3), slice(1, 5)))
    turned = shape_to_bitmap(ShapeType.RECTANGLE, [0, 2, 6, 4], 7, 7, rotation=90)  # now x 2..4, y 0..6
    assert np.array_equal(turned, box_mask(7, 7, slice(0, 7), slice(2, 5)))
    poly = shape_to_bitmap(ShapeType.POLYGON, [0, 0, 4, 0, 0, 4], 6, 6)
    assert poly[0, 0] and poly[0, 4] and not poly[4, 4]
    m = box_mask(6, 6, slice(2, 4), slice(1, 3))
    assert np.array_equal(shape_to_bitmap(ShapeType.MASK, mask_to_points(m), 6, 6), m)
    ell = shape_to_bitmap(ShapeType.ELLIPSE, [10, 10, 14, 7], 20, 20)
    assert ell[10, 10] and ell[10, 14] and ell[7, 10] and not ell[7, 14]
    with pytest.raises(ValueError, match="polyline"):
        shape_to_bitmap(ShapeType.POLYLINE, [0, 0, 1, 1], 4, 4)


def test_rotated_ellipse_bitmap() -> None:
    flat = ellipse_to_bitmap([10, 10, 16, 8], 0, 21, 21)
    upright = ellipse_to_bitmap([10, 10, 16, 8], 90, 21, 21)
    assert np.array_equal(upright, flat.T)  # symmetric about the centre, so turning = transposing


def test_bitmap_bbox() -> None:
    assert bitmap_bbox(np.zeros((3, 3), bool)) is None
    assert bitmap_bbox(box_mask(6, 6, slice(2, 3), slice(4, 5))) == [4, 2, 5, 3]


# ---------------------------------------------------------------- mask -> polygon


def test_mask_to_polygon_outlines_the_largest_region() -> None:
    m = box_mask(40, 40, slice(20, 30), slice(5, 35))
    m[2:4, 2:4] = True  # a speck
    poly = mask_to_polygon(m)
    xs, ys = poly[0::2], poly[1::2]
    assert len(poly) == 8 and (min(xs), max(xs), min(ys), max(ys)) == (5, 34, 20, 29)


def test_mask_to_polygon_point_budget_and_tolerance() -> None:
    yy, xx = np.mgrid[:80, :80]
    disk = (yy - 40) ** 2 + (xx - 40) ** 2 <= 30 ** 2
    full = len(mask_to_polygon(disk)) // 2
    for n in (3, 8, 20):
        assert 3 <= len(mask_to_polygon(disk, max_points=n)) // 2 <= n
    assert len(mask_to_polygon(disk, tolerance=1.0)) // 2 < full
    with pytest.raises(PolygonizeError):
        mask_to_polygon(disk, max_points=2)


def test_mask_to_polygon_edge_cases() -> None:
    assert mask_to_polygon(np.zeros((5, 5), bool)) is None
    assert mask_to_polygon(np.zeros((0, 0), bool)) is None
    one = box_mask(5, 5, slice(2, 3), slice(3, 4))
    assert mask_to_polygon(one) == [3, 2, 4, 2, 4, 3, 3, 3]  # one pixel becomes its square
    assert mask_to_polygon(one, left=10, top=20) == [13, 22, 14, 22, 14, 23, 13, 23]
    with pytest.raises(PolygonizeError):
        mask_to_polygon(np.zeros((2, 2, 2), bool))


def test_mask_points_to_polygon_is_in_frame_coordinates() -> None:
    m = box_mask(50, 50, slice(10, 20), slice(30, 40))
    poly = mask_points_to_polygon(mask_to_points(m))
    xs, ys = poly[0::2], poly[1::2]
    assert (min(xs), max(xs), min(ys), max(ys)) == (30, 39, 10, 19)


def test_mask_outlines_gives_every_region() -> None:
    m = box_mask(20, 20, slice(1, 4), slice(1, 4))
    m[10:15, 10:18] = True
    m[18, 0] = True  # one pixel: fewer than three corners, left out
    outlines = mask_outlines(m, left=100, top=0)
    assert len(outlines) == 2
    assert sorted(min(p[0::2]) for p in outlines) == [101, 110]
    assert mask_outlines(np.zeros((4, 4), bool)) == []


def test_bitmap_to_shape_for_each_target_type() -> None:
    m = box_mask(30, 30, slice(5, 10), slice(10, 20))
    assert bitmap_to_shape(m, ShapeType.RECTANGLE) == [10, 5, 20, 10]
    assert np.array_equal(points_to_mask(bitmap_to_shape(m, ShapeType.MASK), 30, 30), m)
    poly = bitmap_to_shape(m, ShapeType.POLYGON)
    assert len(poly) == 8 and np.array_equal(polygon_to_bitmap(poly, 30, 30), m)  # round trip
    assert bitmap_to_shape(np.zeros((4, 4), bool), ShapeType.POLYGON) is None
    with pytest.raises(ValueError, match="points"):
        bitmap_to_shape(m, ShapeType.POINTS)
