"""app.domain.geometry: outline, bounding box, area, hit test and vertex edits for every shape type."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.domain.geometry import (
    HitKind,
    area,
    bbox,
    delete_vertex,
    editable_vertices,
    hit_shape,
    insert_vertex,
    mask_contains,
    move_vertex,
    outline,
    point_in_polygon,
    polygon_area,
    rect_corners,
    rotate,
    segment_distances,
    translate,
)
from app.domain.mask import mask_to_points


def shape(kind: ShapeType, points: list[float], rotation: float = 0.0, elements: list[Shape] | None = None) -> Shape:
    return Shape(kind, 0, 1, list(points), rotation=rotation, elements=elements or [])


def mask_shape(rows: slice, cols: slice, size: int = 10) -> Shape:
    m = np.zeros((size, size), bool)
    m[rows, cols] = True
    return shape(ShapeType.MASK, mask_to_points(m))


def skeleton(*xy: tuple[float, float]) -> Shape:
    return shape(ShapeType.SKELETON, [], elements=[shape(ShapeType.POINTS, [x, y]) for x, y in xy])


# ---------------------------------------------------------------- outline


def test_outline_of_each_type() -> None:
    assert outline(shape(ShapeType.RECTANGLE, [1, 2, 5, 4])).tolist() == [[1, 2], [5, 2], [5, 4], [1, 4]]
    assert outline(shape(ShapeType.POLYGON, [0, 0, 4, 0, 2, 3])).tolist() == [[0, 0], [4, 0], [2, 3]]
    assert outline(shape(ShapeType.POLYLINE, [0, 0, 4, 0])).tolist() == [[0, 0], [4, 0]]
    assert outline(shape(ShapeType.POINTS, [7, 8])).tolist() == [[7, 8]]
    ellipse = outline(shape(ShapeType.ELLIPSE, [10, 10, 14, 7]))
    assert len(ellipse) == 48
    assert np.allclose(((ellipse[:, 0] - 10) / 4) ** 2 + ((ellipse[:, 1] - 10) / 3) ** 2, 1)
    assert outline(mask_shape(slice(2, 4), slice(3, 6))).tolist() == [[3, 2], [6, 2], [6, 4], [3, 4]]
    assert outline(skeleton((1, 2), (3, 4))).tolist() == [[1, 2], [3, 4]]
    cuboid = list(range(16))
    assert outline(shape(ShapeType.CUBOID, cuboid)).shape == (8, 2)


def test_outline_of_rotated_rectangle_turns_clockwise_about_the_centre() -> None:
    turned = outline(shape(ShapeType.RECTANGLE, [0, 0, 10, 20], rotation=90))
    assert turned == pytest.approx(np.array([[15, 5], [15, 15], [-5, 15], [-5, 5]]))
    assert rotate(np.array([[1.0, 0.0]]), 0, 0, 90) == pytest.approx(np.array([[0.0, 1.0]]))  # y grows downwards


def test_outline_of_empty_shapes_is_empty() -> None:
    assert outline(shape(ShapeType.POLYGON, [])).shape == (0, 2)
    assert outline(skeleton()).shape == (0, 2)


# ---------------------------------------------------------------- bounding box


def test_bbox_of_each_type() -> None:
    assert bbox(shape(ShapeType.RECTANGLE, [5, 4, 1, 2])) == (1, 2, 5, 4)  # corners in any order
    assert bbox(shape(ShapeType.POLYGON, [0, 3, 4, -1, 2, 5])) == (0, -1, 4, 5)
    assert bbox(shape(ShapeType.POLYLINE, [1, 1, 2, 9])) == (1, 1, 2, 9)
    assert bbox(shape(ShapeType.POINTS, [7, 8])) == (7, 8, 7, 8)
    assert bbox(shape(ShapeType.ELLIPSE, [10, 10, 14, 7])) == (6, 7, 14, 13)
    assert bbox(mask_shape(slice(2, 4), slice(3, 6))) == (3, 2, 6, 4)  # one past the last pixel
    assert bbox(skeleton((1, 2), (3, 0))) == (1, 0, 3, 2)
    assert bbox(shape(ShapeType.CUBOID, [float(v) for v in range(16)])) == (0, 1, 14, 15)
    assert bbox(shape(ShapeType.POLYGON, [])) == (0, 0, 0, 0)


def test_bbox_of_rotated_shapes_covers_the_turned_outline() -> None:
    assert bbox(shape(ShapeType.RECTANGLE, [0, 0, 10, 20], rotation=90)) == pytest.approx((-5, 5, 15, 15))
    x1, y1, x2, y2 = bbox(shape(ShapeType.RECTANGLE, [0, 0, 10, 10], rotation=45))
    half = 5 * math.sqrt(2)
    assert (x1, y1, x2, y2) == pytest.approx((5 - half, 5 - half, 5 + half, 5 + half))
    ex1, ey1, ex2, ey2 = bbox(shape(ShapeType.ELLIPSE, [0, 0, 4, -2], rotation=90))
    assert (ex1, ey1, ex2, ey2) == pytest.approx((-2, -4, 2, 4), abs=0.03)  # the 48-gon, turned


def test_bbox_of_unrotated_ellipse_equals_its_outline_box() -> None:
    s = shape(ShapeType.ELLIPSE, [3.5, 7.25, 9.0, 2.0])
    xy = outline(s)
    assert bbox(s) == pytest.approx((xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max()))


# ---------------------------------------------------------------- area


def test_area_of_each_type() -> None:
    assert area(shape(ShapeType.RECTANGLE, [1, 2, 5, 4])) == 8
    assert area(shape(ShapeType.RECTANGLE, [1, 2, 5, 4], rotation=33)) == 8
    assert area(shape(ShapeType.POLYGON, [0, 0, 4, 0, 4, 3])) == 6
    assert area(shape(ShapeType.POLYGON, [4, 3, 4, 0, 0, 0])) == 6  # orientation does not matter
    assert area(shape(ShapeType.ELLIPSE, [10, 10, 14, 7])) == pytest.approx(math.pi * 12)
    assert area(mask_shape(slice(2, 4), slice(3, 6))) == 6
    for kind in (ShapeType.POLYLINE, ShapeType.POINTS, ShapeType.CUBOID):
        assert area(shape(kind, [0, 0, 4, 0, 4, 3])) == 0
    assert area(skeleton((0, 0), (5, 5))) == 0


def test_area_of_degenerate_shapes_is_zero() -> None:
    assert polygon_area([0, 0, 4, 4]) == 0
    assert polygon_area([0, 0, 1, 1, 2, 2]) == 0  # collinear
    assert area(shape(ShapeType.RECTANGLE, [])) == 0
    assert area(shape(ShapeType.MASK, [])) == 0


# ---------------------------------------------------------------- hit test


def test_hit_vertex_edge_body_and_miss_on_a_polygon() -> None:
    tri = shape(ShapeType.POLYGON, [0, 0, 10, 0, 0, 10])
    assert hit_shape(tri, 10.5, 0.5, 1.0).kind is HitKind.VERTEX
    assert hit_shape(tri, 10.5, 0.5, 1.0).index == 1
    edge = hit_shape(tri, 5, 0.6, 1.0)
    assert edge is not None and edge.kind is HitKind.EDGE and edge.index == 0
    assert hit_shape(tri, 2, 2, 1.0).kind is HitKind.BODY
    assert hit_shape(tri, 9, 9, 1.0) is None
    assert hit_shape(tri, 5, -3, 2.0) is None and hit_shape(tri, 5, -3, 3.5).kind is HitKind.EDGE  # tolerance


def test_hit_polyline_has_no_inside() -> None:
    line = shape(ShapeType.POLYLINE, [0, 0, 10, 0, 10, 10])
    assert hit_shape(line, 5, 5, 1.0) is None
    assert hit_shape(line, 10.4, 5, 1.0).kind is HitKind.EDGE


def test_hit_rotated_rectangle_uses_the_turned_outline() -> None:
    r = shape(ShapeType.RECTANGLE, [0, 0, 10, 2], rotation=90)  # now a vertical bar x 4..6, y -4..6
    assert hit_shape(r, 5, 5, 0.5).kind is HitKind.BODY
    assert hit_shape(r, 9, 1, 0.5) is None
    corner = hit_shape(r, 6, -4, 0.5)
    assert corner is not None and corner.kind is HitKind.VERTEX and corner.index == 0


def test_hit_ellipse_mask_points_and_skeleton() -> None:
    e = shape(ShapeType.ELLIPSE, [10, 10, 14, 7])
    assert hit_shape(e, 11, 11, 0.5).kind is HitKind.BODY and hit_shape(e, 14, 13, 0.5) is None
    assert hit_shape(e, 14, 10, 0.5).kind is HitKind.VERTEX  # the rx handle
    m = mask_shape(slice(2, 4), slice(3, 6))
    assert hit_shape(m, 3.5, 2.5, 5).kind is HitKind.BODY  # masks have no handles
    assert hit_shape(m, 6.0, 2.5, 5) is None  # one past the last pixel
    assert mask_contains(m, 5.99, 3.99) and not mask_contains(m, 2.99, 2.5)
    pts = shape(ShapeType.POINTS, [1, 1, 8, 8])
    assert hit_shape(pts, 8.2, 8.2, 0.5).index == 1
    assert hit_shape(pts, 4, 4, 0.5) is None
    sk = skeleton((0, 0), (10, 10))
    assert hit_shape(sk, 5, 5, 0.5).kind is HitKind.BODY  # inside the keypoints' box
    assert hit_shape(sk, 12, 5, 0.5) is None


def test_hit_far_outside_the_image_and_empty_shapes() -> None:
    tri = shape(ShapeType.POLYGON, [0, 0, 10, 0, 0, 10])
    assert hit_shape(tri, -1e6, 1e6, 5) is None
    assert hit_shape(shape(ShapeType.POLYGON, []), 0, 0, 5) is None
    assert hit_shape(shape(ShapeType.POLYGON, [1, 1, 1, 1, 1, 1]), 1.2, 1, 0.5).kind is HitKind.VERTEX


def test_point_in_polygon_and_segment_distance_edge_cases() -> None:
    assert not point_in_polygon(1, 1, np.array([[0.0, 0.0], [2.0, 2.0]]))  # two vertices enclose nothing
    square = np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]])
    assert point_in_polygon(2, 2, square) and not point_in_polygon(5, 2, square)
    assert segment_distances(0, 0, np.zeros((1, 2)), closed=True).size == 0
    d = segment_distances(3, 4, np.array([[0.0, 0.0], [0.0, 0.0]]), closed=False)  # zero-length edge
    assert d.tolist() == [5.0]


# ---------------------------------------------------------------- edits


def test_edits_return_copies() -> None:
    poly = shape(ShapeType.POLYGON, [0, 0, 10, 0, 0, 10])
    moved = move_vertex(poly, 1, 20, 1)
    assert moved.points == [0, 0, 20, 1, 0, 10] and poly.points == [0, 0, 10, 0, 0, 10]
    assert insert_vertex(poly, 0, 5, -1).points == [0, 0, 5, -1, 10, 0, 0, 10]
    assert delete_vertex(poly, 0) is None  # a polygon keeps three vertices
    assert delete_vertex(shape(ShapeType.POLYLINE, [0, 0, 1, 1, 2, 2]), 1).points == [0, 0, 2, 2]
    assert translate(poly, 1, 2).points == [1, 2, 11, 2, 1, 12]
    m = mask_shape(slice(2, 4), slice(3, 6))
    assert bbox(translate(m, 1.4, 2.6)) == (4, 5, 7, 7)  # masks move by whole pixels


def test_move_corner_of_rotated_rectangle_keeps_the_opposite_corner() -> None:
    r = shape(ShapeType.RECTANGLE, [0, 0, 10, 4], rotation=30)
    corners = rect_corners(r.points, r.rotation)
    target = corners[2] + (2.0, 1.0)
    out = move_vertex(r, 2, *target)
    assert editable_vertices(out)[0] == pytest.approx(corners[0])
    assert editable_vertices(out)[2] == pytest.approx(target)
