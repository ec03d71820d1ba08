"""The canvas's door to tracks: a track's state on a frame, and the commands that change tracks.

Interpolation and the track commands belong to :mod:`app.domain.interpolation` and
:mod:`app.editing.track_ops`; this module only adapts them to what the canvas needs (a
:class:`Shape` per frame, a command per edit). Until those modules are importable it falls back to
"hold the last keyframe" (no interpolation) and to plain keyframe replacement, so drawing in track
mode works either way.
"""

from __future__ import annotations

import importlib
from bisect import bisect_right
from types import ModuleType
from typing import TYPE_CHECKING

from app.domain.annotations import Annotations, Shape, Track, TrackedShape
from app.domain.enums import ShapeType
from app.editing.commands import ReplaceAnnotations

if TYPE_CHECKING:
    from app.editing.commands import Command
    from app.storage.store import Project


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:  # the track core is not in this tree yet: use the fallback
        return None


def interpolation() -> ModuleType | None:
    return _module("app.domain.interpolation")


def track_ops() -> ModuleType | None:
    return _module("app.editing.track_ops")


def _held_state(track: Track, frame: int) -> TrackedShape | None:
    shapes = sorted(track.shapes, key=lambda s: s.frame)
    i = bisect_right([s.frame for s in shapes], frame) - 1
    if i < 0:
        return None
    state = shapes[i]
    return state if state.frame == frame else state.copy(keyframe=False, id=None, frame=frame)


def state_at(track: Track, frame: int) -> TrackedShape | None:
    """The track's (possibly interpolated) state on ``frame``; None before its start."""
    module = interpolation()
    if module is not None:
        return module.shape_at(track, frame)
    return _held_state(track, frame)


def shape_on_frame(track: Track, frame: int) -> tuple[Shape, bool] | None:
    """The track on ``frame`` as a Shape (id None) and whether it is a keyframe; None when absent
    or outside."""
    state = state_at(track, frame)
    if state is None or state.outside:
        return None
    elements = []
    for element in track.elements:
        es = state_at(element, frame)
        if es is None:
            continue
        elements.append(Shape(type=ShapeType.POINTS, frame=frame, label_id=element.label_id, points=list(es.points),
                              occluded=es.occluded, outside=es.outside, attributes=dict(es.attributes)))
    shape = Shape(type=state.type, frame=frame, label_id=track.label_id, points=list(state.points),
                  rotation=state.rotation, occluded=state.occluded, z_order=state.z_order, group=track.group,
                  source=track.source, attributes={**track.attributes, **state.attributes}, elements=elements)
    keyframe = bool(state.keyframe) and any(s.frame == frame for s in track.shapes)
    return shape, keyframe


def _state_from(shape: Shape, frame: int, outside: bool = False) -> TrackedShape:
    return TrackedShape(type=shape.type, frame=frame, points=list(shape.points), rotation=shape.rotation,
                        occluded=shape.occluded, outside=outside, keyframe=True, z_order=shape.z_order,
                        attributes=dict(shape.attributes))


def _with_key(track: Track, state: TrackedShape) -> Track:
    out = track.copy()
    out.shapes = [s for s in out.shapes if s.frame != state.frame] + [state]
    out.shapes.sort(key=lambda s: s.frame)
    return out


def track_with_state(track: Track, frame: int, shape: Shape) -> Track:
    """A copy of ``track`` with a keyframe on ``frame`` equal to ``shape`` (skeleton keypoints too)."""
    out = _with_key(track, _state_from(shape, frame))
    by_label = {e.label_id: e for e in shape.elements}
    out.elements = [
        _with_key(el, _state_from(by_label[el.label_id], frame, by_label[el.label_id].outside))
        if el.label_id in by_label else el
        for el in out.elements
    ]
    return out


def new_track(shape: Shape) -> Track:
    track = Track(label_id=shape.label_id, frame=shape.frame, group=shape.group, source=shape.source,
                  shapes=[_state_from(shape, shape.frame)])
    track.elements = [
        Track(label_id=e.label_id, frame=shape.frame, shapes=[_state_from(e, shape.frame, e.outside)])
        for e in shape.elements
    ]
    return track


def new_track_command(project: Project, job_id: int, shape: Shape, text: str = "Add track") -> Command:
    ops = track_ops()
    if ops is not None and hasattr(ops, "new_track_command"):
        return ops.new_track_command(project, job_id, shape)
    return ReplaceAnnotations(project, job_id, after=Annotations(tracks=[new_track(shape)]), text=text)


def set_state_command(project: Project, job_id: int, track: Track, frame: int, shape: Shape,
                      text: str = "Edit track") -> Command:
    """One command that makes ``shape`` the track's keyframe on ``frame``."""
    ops = track_ops()
    if ops is not None and hasattr(ops, "set_keyframe_command"):
        return ops.set_keyframe_command(project, job_id, track, frame, shape)
    return ReplaceAnnotations(project, job_id, before=Annotations(tracks=[track]),
                              after=Annotations(tracks=[track_with_state(track, frame, shape)]), text=text)


def keyframes(track: Track) -> list[int]:
    return sorted({s.frame for s in track.shapes})
