"""A track's state on any frame, from its keyframes (Qt-free, numpy).

Only keyframes are stored (:class:`~app.domain.annotations.Track.shapes`); every other frame is
computed here:

- before the first keyframe the object does not exist (``None``);
- on a keyframe the keyframe itself is returned (``keyframe=True``);
- after an ``outside`` keyframe the object stays outside until the next keyframe;
- after the last keyframe the object stays where it is (and visible unless that keyframe is outside);
- between two keyframes the geometry is blended linearly at ``t = (frame - f0) / (f1 - f0)``:
  rectangles, ellipses and cuboids coordinate by coordinate, their rotation along the shorter way
  round; points when both keyframes have as many points (else the earlier keyframe is held);
  polygons and polylines through the contour correspondence of :mod:`app.domain.resample` (start
  point and direction need not match); masks are held (no interpolation), and so is any pair of
  keyframes whose types differ. ``occluded``, ``z_order`` and ``attributes`` come from the earlier
  keyframe.
- skeleton tracks are interpolated element by element (each element track is a points track).

:func:`expand_track` applies CVAT's export rule (what "CVAT for video" writes for a track) and
:func:`track_to_shapes` flattens tracks to plain shapes (image formats, quality reports).
"""

from __future__ import annotations

import operator
from bisect import bisect_right
from collections.abc import Iterable, Sequence

import numpy as np

from app.domain.annotations import Shape, Track, TrackedShape
from app.domain.enums import ShapeType
from app.domain.resample import correspondence

_LINEAR = (ShapeType.RECTANGLE, ShapeType.ELLIPSE, ShapeType.CUBOID)
_ROTATING = (ShapeType.RECTANGLE, ShapeType.ELLIPSE)
_MIN_VERTICES = {ShapeType.POLYGON: 3, ShapeType.POLYLINE: 2}
_FRAME = operator.attrgetter("frame")
_ORDER_STAMP = "_fieldmark_sorted_stamp"  # cache of keyframes()'s order check, stored on the Track


# ---------------------------------------------------------------- keyframe lookup


def keyframes(track: Track) -> list[TrackedShape]:
    """The track's keyframes sorted by frame (the list itself when it already is).

    The sortedness check is O(n), so its outcome is remembered on the track for the same list
    object, length and end frames: a frame change on the canvas then costs O(log n) per track.
    Replace or resize ``track.shapes`` (as the store and the edit commands do) rather than
    re-ordering it in place.
    """
    shapes = track.shapes
    if not shapes:
        return shapes
    stamp = (id(shapes), len(shapes), shapes[0].frame, shapes[-1].frame)
    if track.__dict__.get(_ORDER_STAMP) == stamp:
        return shapes
    frames = list(map(_FRAME, shapes))
    if all(map(operator.lt, frames, frames[1:])):
        track.__dict__[_ORDER_STAMP] = stamp
        return shapes
    return sorted(shapes, key=_FRAME)


def _locate(shapes: Sequence[TrackedShape], frame: int) -> int:
    """Index of the last keyframe at or before ``frame`` (-1 when there is none)."""
    return bisect_right(shapes, frame, key=_FRAME) - 1


# ---------------------------------------------------------------- geometry between two keyframes


def _segment(prev: TrackedShape, nxt: TrackedShape) -> tuple[np.ndarray, np.ndarray] | None:
    """Start and end point arrays whose linear blend is the geometry between two keyframes.

    ``None`` means the earlier keyframe is held (mask, different types, incompatible points).
    """
    kind = prev.type
    if kind != nxt.type or kind in (ShapeType.MASK, ShapeType.SKELETON):
        return None
    p0, p1 = prev.points, nxt.points
    if kind in _LINEAR or kind is ShapeType.POINTS:
        if len(p0) != len(p1) or not p0:
            return None
        return np.asarray(p0, dtype=np.float64), np.asarray(p1, dtype=np.float64)
    if kind in _MIN_VERTICES:
        least = 2 * _MIN_VERTICES[kind]
        if len(p0) < least or len(p1) < least or len(p0) % 2 or len(p1) % 2:
            return None
        a, b = correspondence(tuple(p0), tuple(p1), kind is ShapeType.POLYGON)
        return a.ravel(), b.ravel()
    return None  # pragma: no cover - every ShapeType is handled above


def _rotation_delta(r0: float, r1: float) -> float:
    """The signed change from ``r0`` to ``r1`` degrees along the shorter way round."""
    return ((r1 - r0 + 180.0) % 360.0) - 180.0


def _between(prev: TrackedShape, frame: int, points: list[float], rotation: float) -> TrackedShape:
    return TrackedShape(
        type=prev.type, frame=frame, points=points, rotation=rotation, occluded=prev.occluded,
        outside=False, keyframe=False, z_order=prev.z_order, attributes=dict(prev.attributes),
    )


def _held(prev: TrackedShape, frame: int) -> TrackedShape:
    clone = prev.copy(frame=frame, keyframe=False)
    clone.id = None
    return clone


def _blend(prev: TrackedShape, nxt: TrackedShape, frames: Sequence[int]) -> list[TrackedShape]:
    """Interpolated (non-key) states at ``frames``, all strictly between two keyframes."""
    if prev.outside:
        return [_held(prev, f) for f in frames]
    seg = _segment(prev, nxt)
    if seg is None:
        return [_held(prev, f) for f in frames]
    a, b = seg
    ts = (np.asarray(frames, dtype=np.float64) - prev.frame) / (nxt.frame - prev.frame)
    coords = a[None, :] + ts[:, None] * (b - a)[None, :]
    if prev.type in _ROTATING:
        rotations = (prev.rotation + ts * _rotation_delta(prev.rotation, nxt.rotation)) % 360.0
    else:
        rotations = np.full(len(ts), prev.rotation)
    return [_between(prev, f, c, float(r)) for f, c, r in zip(frames, coords.tolist(), rotations.tolist())]


def _blend_one(prev: TrackedShape, nxt: TrackedShape, frame: int) -> TrackedShape:
    """:func:`_blend` for one frame, without numpy for the short coordinate lists (canvas hot path)."""
    if prev.outside:
        return _held(prev, frame)
    kind = prev.type
    t = (frame - prev.frame) / (nxt.frame - prev.frame)
    if kind == nxt.type and (kind in _LINEAR or kind is ShapeType.POINTS):
        p0, p1 = prev.points, nxt.points
        if len(p0) != len(p1) or not p0:
            return _held(prev, frame)
        points = [a + t * (b - a) for a, b in zip(p0, p1)]
        rotation = prev.rotation
        if kind in _ROTATING:
            rotation = (prev.rotation + t * _rotation_delta(prev.rotation, nxt.rotation)) % 360.0
        return _between(prev, frame, points, rotation)
    return _blend(prev, nxt, [frame])[0]


# ---------------------------------------------------------------- public API


def shape_at(track: Track, frame: int) -> TrackedShape | None:
    """The track's state at ``frame``.

    Returns a copy of the keyframe (``keyframe=True``, with its id) when there is one at ``frame``,
    else an interpolated state (``keyframe=False``, ``id=None``); ``None`` before the first
    keyframe. After an outside keyframe the state is ``outside=True`` until the next keyframe.
    For a skeleton track this is the skeleton's own state; see :func:`elements_at`.
    """
    shapes = keyframes(track)
    if not shapes:
        return _skeleton_state(track, frame) if track.elements else None
    i = _locate(shapes, frame)
    if i < 0:
        return None
    prev = shapes[i]
    if prev.frame == frame:
        return prev.copy()
    if i + 1 == len(shapes):
        return _held(prev, frame)
    return _blend_one(prev, shapes[i + 1], frame)


def _skeleton_state(track: Track, frame: int) -> TrackedShape | None:
    """State of a skeleton track stored without keyframes of its own: derived from its elements."""
    states = [s for s in (shape_at(e, frame) for e in track.elements) if s is not None]
    if not states:
        return None
    return TrackedShape(
        type=ShapeType.SKELETON, frame=frame, outside=all(s.outside for s in states),
        keyframe=any(s.keyframe for s in states), occluded=False, z_order=states[0].z_order,
    )


def elements_at(track: Track, frame: int) -> list[TrackedShape | None]:
    """The state of each element track of a skeleton track at ``frame`` (``None`` before it starts)."""
    return [shape_at(element, frame) for element in track.elements]


def expand_track(track: Track, start: int, stop: int, step: int = 1) -> list[TrackedShape]:
    """The track as CVAT's video export writes it, over frames ``start..stop`` (inclusive).

    Every frame on the grid ``start + k * step`` from the first keyframe on where the object is
    inside (interpolated ones with ``keyframe=False``), plus every keyframe in the range (outside
    ones included, and keyframes off the grid); frames after an outside keyframe are omitted until
    the next keyframe. Sorted by frame. Element tracks of skeletons are expanded separately.
    """
    if step < 1:
        raise ValueError(f"step must be >= 1, got {step}")
    shapes = keyframes(track)
    out: list[TrackedShape] = []
    for i, prev in enumerate(shapes):
        nxt = shapes[i + 1] if i + 1 < len(shapes) else None
        if start <= prev.frame <= stop:
            out.append(prev.copy())
        if prev.outside:
            continue
        end = stop if nxt is None else min(stop, nxt.frame - 1)
        first = max(start, prev.frame + 1)
        first += (start - first) % step  # next frame on the grid
        frames = list(range(first, end + 1, step))
        if not frames:
            continue
        out.extend(_blend(prev, nxt, frames) if nxt is not None else [_held(prev, f) for f in frames])
    return out


def _merged_attributes(track: Track, state: TrackedShape) -> dict[int, str]:
    return {**track.attributes, **state.attributes}


def _element_shape(element: Track, frame: int, z_order: int) -> Shape:
    state = shape_at(element, frame)
    if state is None:  # the element track starts later: outside, at its first known position
        shapes = keyframes(element)
        state = shapes[0].copy(frame=frame, outside=True) if shapes else TrackedShape(
            type=ShapeType.POINTS, frame=frame, outside=True)
    return Shape(
        type=state.type, frame=frame, label_id=element.label_id, points=list(state.points),
        rotation=state.rotation, occluded=state.occluded, outside=state.outside, z_order=z_order,
        group=element.group, source=element.source, attributes=_merged_attributes(element, state),
    )


def track_to_shapes(track: Track, frames: Iterable[int]) -> list[Shape]:
    """Plain shapes for each frame of ``frames`` where the track is visible (not outside).

    Label, group and source come from the track; attributes are the track's merged with the
    frame's per-shape ones. A skeleton track gives one skeleton shape per frame whose elements
    come from the element tracks (an element that is outside keeps ``outside=True``).
    """
    out: list[Shape] = []
    for frame in frames:
        state = shape_at(track, frame)
        if state is None or state.outside:
            continue
        elements = [_element_shape(e, frame, state.z_order) for e in track.elements]
        out.append(
            Shape(
                type=state.type, frame=frame, label_id=track.label_id, points=list(state.points),
                rotation=state.rotation, occluded=state.occluded, outside=False, z_order=state.z_order,
                group=track.group, source=track.source, attributes=_merged_attributes(track, state),
                elements=elements,
            )
        )
    return out
