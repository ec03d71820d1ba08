"""Track interpolation: shape_at, expand_track (CVAT's video export rule), track_to_shapes, resampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.annotations import Track, TrackedShape
from app.domain.enums import ShapeType, Source
from app.domain.interpolation import elements_at, expand_track, shape_at, track_to_shapes
from app.domain.resample import correspondence

T = TrackedShape


def rect(frame: int, x: float, y: float, w: float = 10, h: float = 10, **kw: object) -> TrackedShape:
    return T(ShapeType.RECTANGLE, frame, [x, y, x + w, y + h], **kw)


def dense(xy: np.ndarray, closed: bool, n: int = 257) -> np.ndarray:
    """A contour sampled at ``n`` evenly spaced arc lengths from its first point."""
    ring = np.vstack([xy, xy[:1]]) if closed else xy
    seg = np.hypot(*np.diff(ring, axis=0).T)
    cum = np.concatenate([[0], np.cumsum(seg)])
    u = np.linspace(0, cum[-1], n, endpoint=not closed)
    return np.stack([np.interp(u, cum, ring[:, 0]), np.interp(u, cum, ring[:, 1])], axis=1)


# ---------------------------------------------------------------- shape_at


def test_before_first_keyframe_is_none_and_keyframes_are_returned_as_stored() -> None:
    track = Track(label_id=1, frame=5, shapes=[rect(5, 0, 0, id=7), rect(15, 10, 20)])
    assert shape_at(track, 4) is None
    key = shape_at(track, 5)
    assert key is not None and key.keyframe and key.points == [0, 0, 10, 10] and key.id == 7
    key.points[0] = 99  # a copy: the track is untouched
    assert track.shapes[0].points[0] == 0


def test_rectangle_is_linear_and_rotation_takes_the_short_way() -> None:
    track = Track(label_id=1, frame=0, shapes=[rect(0, 0, 0, rotation=350), rect(10, 10, 20, rotation=10)])
    mid = shape_at(track, 5)
    assert mid is not None and not mid.keyframe and mid.id is None
    assert mid.points == pytest.approx([5, 10, 15, 20])
    assert mid.rotation == pytest.approx(0.0)
    quarter = shape_at(track, 2)
    assert quarter is not None and quarter.rotation == pytest.approx(354.0)


def test_after_last_keyframe_the_object_stays() -> None:
    track = Track(label_id=1, frame=0, shapes=[rect(0, 0, 0), rect(10, 10, 10)])
    late = shape_at(track, 100)
    assert late is not None and late.points == [10, 10, 20, 20] and not late.outside and not late.keyframe


def test_outside_until_next_keyframe_then_reentry() -> None:
    track = Track(label_id=1, frame=0, shapes=[rect(0, 0, 0), rect(4, 4, 4, outside=True), rect(10, 50, 50)])
    assert shape_at(track, 3).outside is False
    for frame in (4, 5, 9):
        state = shape_at(track, frame)
        assert state is not None and state.outside and state.frame == frame
    back = shape_at(track, 10)
    assert back is not None and not back.outside and back.keyframe


def test_occluded_z_order_and_attributes_come_from_previous_keyframe() -> None:
    a = rect(0, 0, 0, occluded=True, z_order=3, attributes={1: "a"})
    b = rect(10, 10, 10, occluded=False, z_order=1, attributes={1: "b"})
    mid = shape_at(Track(label_id=1, frame=0, shapes=[a, b]), 9)
    assert mid is not None and mid.occluded and mid.z_order == 3 and mid.attributes == {1: "a"}


def test_unsorted_keyframes_are_handled() -> None:
    track = Track(label_id=1, frame=0, shapes=[rect(10, 10, 10), rect(0, 0, 0)])
    assert shape_at(track, 5).points == pytest.approx([5, 5, 15, 15])


def test_ellipse_cuboid_and_points() -> None:
    ell = Track(label_id=1, frame=0, shapes=[T("ellipse", 0, [10, 10, 15, 5], rotation=90),
                                             T("ellipse", 4, [20, 10, 30, 0], rotation=130)])
    state = shape_at(ell, 1)
    assert state.points == pytest.approx([12.5, 10, 18.75, 3.75]) and state.rotation == pytest.approx(100)
    cub = Track(label_id=1, frame=0,
                shapes=[T("cuboid", 0, list(range(16))), T("cuboid", 2, [v + 2 for v in range(16)])])
    assert shape_at(cub, 1).points == pytest.approx([v + 1 for v in range(16)])
    pts = Track(label_id=1, frame=0, shapes=[T("points", 0, [0, 0, 10, 10]), T("points", 10, [10, 0, 20, 10])])
    assert shape_at(pts, 5).points == pytest.approx([5, 0, 15, 10])
    uneven = Track(label_id=1, frame=0, shapes=[T("points", 0, [0, 0]), T("points", 10, [10, 0, 20, 10])])
    assert shape_at(uneven, 5).points == [0, 0]


def test_mask_holds_its_last_keyframe() -> None:
    m0 = T("mask", 0, [2, 2, 0, 0, 1, 1])
    m1 = T("mask", 10, [0, 4, 5, 5, 6, 6])
    state = shape_at(Track(label_id=1, frame=0, shapes=[m0, m1]), 7)
    assert state.points == m0.points and not state.keyframe


def test_polygon_with_other_start_and_direction_does_not_spin() -> None:
    square = [0, 0, 10, 0, 10, 10, 0, 10]
    moved = [30, 30, 20, 30, 20, 20, 30, 20]  # same square +20, other start, other direction
    mid = shape_at(Track(label_id=1, frame=0, shapes=[T("polygon", 0, square), T("polygon", 2, moved)]), 1)
    xy = np.asarray(mid.points).reshape(-1, 2)
    assert len(xy) == 4
    assert sorted(map(tuple, xy.tolist())) == sorted([(10, 10), (20, 10), (20, 20), (10, 20)])


def test_polygons_of_different_vertex_counts() -> None:
    square = [0, 0, 10, 0, 10, 10, 0, 10]
    octagon = [v for k in range(8) for v in (5 + 7 * math.cos(k * math.pi / 4), 5 + 7 * math.sin(k * math.pi / 4))]
    track = Track(label_id=1, frame=0, shapes=[T("polygon", 0, square), T("polygon", 10, octagon)])
    near = np.asarray(shape_at(track, 1).points).reshape(-1, 2)
    assert len(near) == 8  # never more vertices than the larger keyframe
    # At t=0.1 every vertex is within 10% of the way from the square's outline.
    assert np.all(np.minimum.reduce([abs(near[:, 0]), abs(near[:, 0] - 10), abs(near[:, 1]),
                                     abs(near[:, 1] - 10)]) < 1.5)


def test_polyline_direction_is_aligned() -> None:
    a = [0, 0, 10, 0, 20, 0]
    b = [20, 5, 0, 5]  # reversed, fewer vertices
    mid = shape_at(Track(label_id=1, frame=0, shapes=[T("polyline", 0, a), T("polyline", 2, b)]), 1)
    assert mid.points == pytest.approx([0, 2.5, 10, 2.5, 20, 2.5])


def test_different_types_hold() -> None:
    track = Track(label_id=1, frame=0, shapes=[rect(0, 0, 0), T("polygon", 10, [0, 0, 5, 0, 5, 5])])
    assert shape_at(track, 5).points == [0, 0, 10, 10]


# ---------------------------------------------------------------- expand_track (CVAT export rule)


def test_expand_matches_cvat_docs_example() -> None:
    # The docs example: keyframes 0, 1 (outside), 6, 7 (outside), 13, 14 (outside).
    shapes = [rect(0, 0, 0), rect(1, 0, 0, outside=True), rect(6, 5, 5), rect(7, 5, 5, outside=True),
              rect(13, 9, 9), rect(14, 9, 9, outside=True)]
    out = expand_track(Track(label_id=1, frame=0, shapes=shapes), 0, 20)
    assert [s.frame for s in out] == [0, 1, 6, 7, 13, 14]
    assert [s.outside for s in out] == [False, True, False, True, False, True]
    assert all(s.keyframe for s in out)


def test_expand_interpolates_inside_frames_on_the_step_grid() -> None:
    track = Track(label_id=1, frame=3, shapes=[rect(3, 0, 0), rect(9, 6, 6), rect(12, 0, 0, outside=True)])
    out = expand_track(track, 0, 15, step=3)
    assert [(s.frame, s.keyframe) for s in out] == [(3, True), (6, False), (9, True), (12, True)]
    assert out[1].points == pytest.approx([3, 3, 13, 13])
    tail = expand_track(Track(label_id=1, frame=0, shapes=[rect(0, 0, 0)]), 2, 5)
    assert [s.frame for s in tail] == [2, 3, 4, 5] and not any(s.keyframe for s in tail)


def test_expand_agrees_with_shape_at() -> None:
    shapes = [T("polygon", 0, [0, 0, 10, 0, 10, 10]), T("polygon", 7, [5, 5, 25, 5, 25, 25, 5, 25])]
    track = Track(label_id=1, frame=0, shapes=shapes)
    for state in expand_track(track, 0, 10):
        assert state.points == pytest.approx(shape_at(track, state.frame).points)


def test_expand_rejects_bad_step() -> None:
    with pytest.raises(ValueError, match="step"):
        expand_track(Track(label_id=1, frame=0, shapes=[rect(0, 0, 0)]), 0, 5, step=0)


# ---------------------------------------------------------------- track_to_shapes


def test_track_to_shapes_merges_attributes_and_skips_outside() -> None:
    track = Track(label_id=4, frame=0, group=2, source=Source.AUTO, attributes={1: "car", 2: "x"},
                  shapes=[rect(0, 0, 0, attributes={2: "y"}), rect(2, 0, 0, outside=True)])
    shapes = track_to_shapes(track, range(-1, 4))
    assert [s.frame for s in shapes] == [0, 1]
    first = shapes[0]
    assert (first.label_id, first.group, first.source, first.attributes) == (4, 2, Source.AUTO, {1: "car", 2: "y"})
    assert first.type is ShapeType.RECTANGLE and first.id is None


def test_skeleton_track_to_shapes_per_element() -> None:
    skel = [T("skeleton", 0, []), T("skeleton", 10, [])]
    nose = Track(label_id=11, frame=0, shapes=[T("points", 0, [0, 0]), T("points", 10, [10, 20])])
    tail = Track(label_id=12, frame=0, shapes=[T("points", 0, [5, 5]), T("points", 4, [5, 5], outside=True)])
    late = Track(label_id=13, frame=6, shapes=[T("points", 6, [1, 2])])
    track = Track(label_id=10, frame=0, shapes=skel, elements=[nose, tail, late])
    (shape,) = track_to_shapes(track, [5])
    assert shape.type is ShapeType.SKELETON and [e.label_id for e in shape.elements] == [11, 12, 13]
    assert shape.elements[0].points == pytest.approx([5, 10]) and not shape.elements[0].outside
    assert shape.elements[1].outside and shape.elements[2].outside and shape.elements[2].points == [1, 2]
    assert [s is not None for s in elements_at(track, 2)] == [True, True, False]


def test_skeleton_without_own_keyframes_derives_visibility_from_elements() -> None:
    nose = Track(label_id=11, frame=0, shapes=[T("points", 2, [0, 0]), T("points", 5, [0, 0], outside=True)])
    track = Track(label_id=10, frame=0, shapes=[], elements=[nose])
    assert shape_at(track, 1) is None
    assert [s.frame for s in track_to_shapes(track, range(8))] == [2, 3, 4]


# ---------------------------------------------------------------- properties

coord = st.floats(min_value=-500, max_value=500, allow_nan=False, allow_infinity=False)


@st.composite
def star_polygon(draw: st.DrawFn) -> list[float]:
    """A simple (star-shaped) polygon with 3..12 vertices, counter-clockwise."""
    n = draw(st.integers(3, 12))
    cx, cy = draw(coord), draw(coord)
    angles = sorted(draw(st.lists(st.floats(0, 2 * math.pi, exclude_max=True), min_size=n, max_size=n, unique=True)))
    radii = draw(st.lists(st.floats(5, 100), min_size=n, max_size=n))
    gaps = np.diff(angles + [angles[0] + 2 * math.pi])
    if np.min(gaps) < 1e-3:
        angles = [2 * math.pi * k / n for k in range(n)]
    return [v for a, r in zip(angles, radii) for v in (cx + r * math.cos(a), cy + r * math.sin(a))]


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(["rectangle", "ellipse", "cuboid", "points"]), data=st.data(),
       f0=st.integers(0, 50), gap=st.integers(2, 30))
def test_linear_shapes_reproduce_keyframes_and_stay_between(kind: str, data: st.DataObject, f0: int, gap: int) -> None:
    size = {"rectangle": 4, "ellipse": 4, "cuboid": 16, "points": 6}[kind]
    p0 = data.draw(st.lists(coord, min_size=size, max_size=size))
    p1 = data.draw(st.lists(coord, min_size=size, max_size=size))
    track = Track(label_id=1, frame=f0, shapes=[T(kind, f0, p0), T(kind, f0 + gap, p1)])
    assert shape_at(track, f0).points == p0 and shape_at(track, f0 + gap).points == p1
    frame = data.draw(st.integers(f0 + 1, f0 + gap - 1))
    mid = shape_at(track, frame).points
    lo, hi = np.minimum(p0, p1), np.maximum(p0, p1)
    assert np.all(np.asarray(mid) >= lo - 1e-9) and np.all(np.asarray(mid) <= hi + 1e-9)


@settings(max_examples=40, deadline=None)
@given(p0=star_polygon(), p1=star_polygon(), shift=st.integers(0, 11), reverse=st.booleans(),
       t=st.floats(0.05, 0.95))
def test_polygon_interpolation_ignores_start_and_direction(
    p0: list[float], p1: list[float], shift: int, reverse: bool, t: float
) -> None:
    xy1 = np.asarray(p1).reshape(-1, 2)
    other = np.roll(xy1, shift % len(xy1), axis=0)
    if reverse:
        other = other[::-1]
    a, b = correspondence(tuple(p0), tuple(p1), True)
    a2, b2 = correspondence(tuple(p0), tuple(other.ravel().tolist()), True)
    assert len(a) == max(len(p0), len(p1)) // 2
    # The same in-between outline, whichever way the second keyframe's vertex list is written.
    assert np.allclose(dense(a + t * (b - a), True), dense(a2 + t * (b2 - a2), True), atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(p0=star_polygon(), p1=star_polygon())
def test_correspondence_lies_on_both_outlines_and_keeps_every_vertex(p0: list[float], p1: list[float]) -> None:
    a, b = correspondence(tuple(p0), tuple(p1), True)
    for flat, arr in ((p0, a), (p1, b)):
        xy = np.asarray(flat).reshape(-1, 2)
        # every keyframe vertex appears ...
        assert all(np.min(np.hypot(*(arr - v).T)) < 1e-6 for v in xy)
        # ... and every point lies on the keyframe's outline
        ring = np.vstack([xy, xy[:1]])
        for point in arr:
            d = min(_segment_distance(point, ring[k], ring[k + 1]) for k in range(len(xy)))
            assert d < 1e-6


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    ab = b - a
    t = 0.0 if not ab.any() else float(np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0, 1))
    return float(np.hypot(*(a + t * ab - p)))


@settings(max_examples=40, deadline=None)
@given(p0=star_polygon(), p1=star_polygon(), f1=st.integers(2, 40))
def test_polygon_keyframes_exact_and_in_betweens_on_segments(p0: list[float], p1: list[float], f1: int) -> None:
    track = Track(label_id=1, frame=0, shapes=[T("polygon", 0, p0), T("polygon", f1, p1)])
    assert shape_at(track, 0).points == p0 and shape_at(track, f1).points == p1
    a, b = correspondence(tuple(p0), tuple(p1), True)
    frame = f1 // 2
    mid = np.asarray(shape_at(track, frame).points).reshape(-1, 2)
    t = frame / f1
    assert np.allclose(mid, a + t * (b - a))


@settings(max_examples=60, deadline=None)
@given(p0=st.lists(coord, min_size=6, max_size=40).filter(lambda v: len(v) % 2 == 0),
       p1=st.lists(coord, min_size=6, max_size=40).filter(lambda v: len(v) % 2 == 0),
       closed=st.booleans())
def test_any_contours_correspond_without_error(p0: list[float], p1: list[float], closed: bool) -> None:
    """Self-intersecting, repeated or collapsed vertices: still a finite, vertex-preserving pairing."""
    a, b = correspondence(tuple(p0), tuple(p1), closed)
    n = max(len(p0), len(p1)) // 2
    assert a.shape == b.shape == (n, 2) and np.isfinite(a).all() and np.isfinite(b).all()
    for flat, arr in ((p0, a), (p1, b)):
        for v in np.asarray(flat).reshape(-1, 2):
            assert np.min(np.hypot(*(arr - v).T)) < 1e-6


def test_large_contours_use_the_linear_matching(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.domain.resample as resample

    angles = np.linspace(0, 2 * np.pi, 300, endpoint=False)
    big = np.stack([100 * np.cos(angles), 60 * np.sin(angles)], axis=1).ravel()
    small = np.array([-100, -60, 100, -60, 100, 60, -100, 60], dtype=float)
    exact = resample.correspondence.__wrapped__(tuple(small), tuple(big), True)
    monkeypatch.setattr(resample, "DP_LIMIT", 10)
    greedy = resample.correspondence.__wrapped__(tuple(small), tuple(big), True)
    for flat, arr in ((small, greedy[0]), (big, greedy[1])):
        for v in flat.reshape(-1, 2):
            assert np.min(np.hypot(*(arr - v).T)) < 1e-6
    # both pair the rectangle's corners with nearby points of the ellipse
    corners = [np.argmin(np.hypot(*(exact[0] - c).T)) for c in small.reshape(-1, 2)]
    corners_g = [np.argmin(np.hypot(*(greedy[0] - c).T)) for c in small.reshape(-1, 2)]
    assert np.allclose(exact[1][corners], greedy[1][corners_g], atol=5)
