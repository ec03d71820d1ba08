"""Mask -> polygon with a vertex budget."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.domain.geometry import PolygonizeError, contour_point_count, mask_to_polygon


def _disk(h: int = 200, w: int = 300, c: tuple[int, int] = (150, 100), r: int = 60) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    cv2.circle(mask, c, r, 1, -1)
    return mask.astype(bool)


def _iou(poly: list[float], mask: np.ndarray) -> float:
    canvas = np.zeros(mask.shape, np.uint8)
    cv2.fillPoly(canvas, [np.round(np.array(poly).reshape(-1, 2)).astype(np.int32)], 1)
    a, b = canvas.astype(bool), mask
    return (a & b).sum() / (a | b).sum()


@pytest.mark.parametrize("n", [3, 8, 16, 40])
def test_vertex_budget_is_respected_and_more_points_fit_better(n: int) -> None:
    mask = _disk()
    poly = mask_to_polygon(mask, max_points=n)
    assert poly is not None and 3 <= len(poly) // 2 <= n
    if n >= 16:
        assert _iou(poly, mask) > 0.95


def test_detail_grows_with_the_budget() -> None:
    mask = _disk()
    ious = [_iou(mask_to_polygon(mask, max_points=n), mask) for n in (4, 8, 32)]
    assert ious[0] < ious[1] < ious[2]


def test_largest_region_wins_and_holes_are_ignored() -> None:
    mask = _disk()
    mask[5:15, 5:15] = True  # a speck
    mask[90:110, 140:160] = False  # a hole inside the disk
    poly = np.array(mask_to_polygon(mask, max_points=50)).reshape(-1, 2)
    assert poly[:, 0].min() >= 85 and poly[:, 1].min() >= 35  # no vertex on the speck
    filled = mask.copy()
    filled[90:110, 140:160] = True
    assert _iou(poly.ravel().tolist(), filled) > 0.95


def test_offset_and_empty_masks() -> None:
    mask = _disk(60, 60, (30, 30), 20)
    a = np.array(mask_to_polygon(mask, max_points=10)).reshape(-1, 2)
    b = np.array(mask_to_polygon(mask, max_points=10, left=100, top=7)).reshape(-1, 2)
    assert np.allclose(b - a, [100, 7])
    assert mask_to_polygon(np.zeros((10, 10), bool)) is None
    one = np.zeros((10, 10), bool)
    one[4, 4] = True
    assert len(mask_to_polygon(one)) // 2 == 4  # a single pixel becomes its square


def test_bad_arguments_are_reported() -> None:
    with pytest.raises(PolygonizeError, match="at least 3"):
        mask_to_polygon(_disk(), max_points=2)
    with pytest.raises(PolygonizeError, match="2-D"):
        mask_to_polygon(np.zeros((3, 3, 3), bool))


def test_contour_point_count() -> None:
    assert contour_point_count(_disk()) > 40
    assert contour_point_count(np.zeros((5, 5), bool)) == 0
