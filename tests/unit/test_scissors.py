"""Intelligent scissors on a region around the last anchor."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.models.scissors import ScissorsError, ScissorsPath, build_map, clamp_region


def _image(h: int = 300, w: int = 400) -> np.ndarray:
    img = np.full((h, w, 3), 30, np.uint8)
    cv2.rectangle(img, (100, 80), (300, 220), (220, 220, 220), -1)
    return img


def test_path_follows_the_edge_and_stays_in_the_region() -> None:
    smap = build_map(_image(), (100, 80), region=300)
    assert (smap.x0, smap.y0, smap.w, smap.h) == (0, 0, 250, 230)
    path = smap.path_to(200, 80)  # along the top edge of the bright rectangle
    assert tuple(path[0]) == (100, 80) and tuple(path[-1]) == (200, 80)
    assert np.abs(path[:, 1] - 80).max() <= 2  # hugs the edge instead of cutting a corner


def test_cursor_outside_the_region_gets_a_straight_tail() -> None:
    smap = build_map(_image(), (100, 80), region=100)
    path = smap.path_to(390, 80)
    assert tuple(path[-1]) == (390, 80)
    assert smap.inside(*path[-2]) and not smap.inside(390, 80)


def test_anchors_segments_and_polygon() -> None:
    img = _image()
    path = ScissorsPath()
    corners = [(100, 80), (300, 80), (300, 220), (100, 220)]
    smap = None
    for corner in corners:
        segment = smap.path_to(*corner) if smap is not None else None
        path.add(corner, segment)
        smap = build_map(img, corner, region=600)
    assert len(path) == 4 and len(path.segments) == 3
    poly = np.array(path.polygon(max_points=10)).reshape(-1, 2)
    assert 4 <= len(poly) <= 10
    assert poly[:, 0].min() >= 98 and poly[:, 0].max() <= 302
    assert path.hits_last(101, 219, 2) and not path.hits_last(150, 150, 2)
    path.remove_last()
    assert len(path) == 3 and len(path.segments) == 2


def test_too_short_paths_give_no_polygon_and_bad_input_is_reported() -> None:
    path = ScissorsPath()
    path.add((5, 5))
    assert path.polygon() is None
    with pytest.raises(ScissorsError, match="outside"):
        build_map(_image(), (500, 5))
    with pytest.raises(ScissorsError, match="uint8"):
        build_map(np.zeros((10, 10, 3), np.float32), (1, 1))
    assert clamp_region(10) == 64 and clamp_region(10**6) == 2048
