"""The canvas's door to tracks: a track's state on a frame as a :class:`Shape`, and the commands that
change tracks. Interpolation and the commands belong to :mod:`app.domain.interpolation` and
:mod:`app.editing.track_ops`; this module only adapts them to what the canvas needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.domain.annotations import Shape, Track, TrackedShape
from app.domain.interpolation import track_to_shapes
from app.editing import track_ops

if TYPE_CHECKING:
    from app.editing.commands import Command
    from app.storage.store import Project


def shape_on_frame(track: Track, frame: int) -> tuple[Shape, bool] | None:
    """The track on ``frame`` as a Shape (id None) and whether it is a keyframe; None when the
    object does not exist there or is outside."""
    shapes = track_to_shapes(track, [frame])
    if not shapes:
        return None
    return shapes[0], track_ops.is_keyframe(track, frame)


def _state(shape: Shape, frame: int) -> TrackedShape:
    return TrackedShape(type=shape.type, frame=frame, points=list(shape.points), rotation=shape.rotation,
                        occluded=shape.occluded, outside=shape.outside, keyframe=True, z_order=shape.z_order,
                        attributes=dict(shape.attributes))


def _split_attrs(project: Project, track: Track, shape: Shape) -> dict[int, str]:
    """Only the attributes that are per frame (mutable) go on a keyframe."""
    label = project.labels().get(track.label_id)
    if label is None:
        return dict(shape.attributes)
    mutable = {a.id for a in label.attributes if a.mutable}
    return {k: v for k, v in shape.attributes.items() if k in mutable}


def set_state_command(project: Project, job_id: int, track: Track, frame: int, shape: Shape,
                      text: str = "Edit track") -> Command:
    """One command that makes ``shape`` the track's keyframe on ``frame`` (skeleton keypoints too)."""
    state = _state(shape, frame)
    state.outside = False
    state.attributes = _split_attrs(project, track, shape)
    elements = None
    if track.elements:
        by_label = {e.label_id: e for e in shape.elements}
        elements = [_state(by_label[el.label_id], frame) if el.label_id in by_label else None
                    for el in track.elements]
    command = track_ops.set_keyframe(project, job_id, track, state, elements)
    command.text = text
    return command


def track_with_state(project: Project, track: Track, frame: int, shape: Shape) -> Track:
    """A copy of ``track`` with ``shape`` as its keyframe on ``frame`` (for multi-object edits)."""
    command = set_state_command(project, 0, track, frame, shape)
    return command.after.tracks[0]  # type: ignore[attr-defined]


def new_track_command(project: Project, job_id: int, shape: Shape, text: str = "Draw track") -> Command:
    command = track_ops.draw_track(project, job_id, shape)
    command.text = text
    return command


def keyframes(track: Track) -> list[int]:
    return sorted({s.frame for s in track.shapes})
