"""Track edits as undoable commands (Qt-free).

Each ``*`` function below builds one :class:`~app.editing.commands.ReplaceAnnotations` — one undo
step — and does not touch the store; the caller pushes it on the :class:`~app.editing.UndoStack`::

    stack.push(track_ops.set_keyframe(project, job_id, track, edited_state))

``track`` arguments are tracks as stored (with ids, as :meth:`Project.tracks` returns them); a
:class:`ValueError` with the reason is raised for an edit that makes no sense (a frame before the
track starts, removing the only keyframe, merging tracks of different labels...).

Skeleton tracks are kept consistent: a keyframe, outside mark, split or removal on the skeleton
applies to its element tracks at the same frame too.

Merging resolves conflicts in favour of the **later-selected** track: where two tracks have a
keyframe on the same frame, the keyframe of the track later in ``tracks`` is kept, and its track
attributes override the earlier ones. The merged track keeps the first track's id, group and source.
Every other keyframe of every track is kept as it is, so a gap between two tracks is interpolated,
and an outside keyframe of any of them hides the object until the next keyframe of any of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.domain.annotations import Annotations, Shape, Track, TrackedShape
from app.domain.enums import ShapeType
from app.domain.interpolation import keyframes, shape_at
from app.editing.commands import ReplaceAnnotations

if TYPE_CHECKING:
    from app.storage.store import Project


# ---------------------------------------------------------------- navigation (pure)


def _all_keyframe_frames(track: Track) -> list[int]:
    frames = {s.frame for s in track.shapes}
    for element in track.elements:
        frames.update(s.frame for s in element.shapes)
    return sorted(frames)


def next_keyframe(track: Track, frame: int) -> int | None:
    """The first keyframe after ``frame`` (skeleton element keyframes included), or None."""
    return next((f for f in _all_keyframe_frames(track) if f > frame), None)


def previous_keyframe(track: Track, frame: int) -> int | None:
    """The last keyframe before ``frame`` (skeleton element keyframes included), or None."""
    return next((f for f in reversed(_all_keyframe_frames(track)) if f < frame), None)


def is_keyframe(track: Track, frame: int) -> bool:
    """Whether the track (or, for a skeleton, its own shape) has a keyframe at ``frame``."""
    return any(s.frame == frame for s in track.shapes)


# ---------------------------------------------------------------- helpers


def _require_stored(*tracks: Track) -> None:
    for track in tracks:
        if track.id is None:
            raise ValueError("the track is not stored yet (it has no id); load it with Project.tracks()")


def _put_keyframe(track: Track, state: TrackedShape) -> None:
    """Insert ``state`` as the keyframe at its frame (in place), replacing one there."""
    key = state.copy(keyframe=True, id=None)
    track.shapes = sorted([s for s in track.shapes if s.frame != state.frame] + [key], key=lambda s: s.frame)
    track.frame = track.shapes[0].frame


def _drop_keyframe(track: Track, frame: int) -> None:
    track.shapes = [s for s in track.shapes if s.frame != frame]
    if track.shapes:
        track.frame = min(s.frame for s in track.shapes)


def _state_or_error(track: Track, frame: int) -> TrackedShape:
    state = shape_at(track, frame)
    if state is None:
        raise ValueError(f"track {track.id} does not exist yet on frame {frame} (it starts on frame {track.frame})")
    return state


def _fresh_ids(track: Track, *, keep_track_ids: bool) -> Track:
    """``track`` with its keyframes (and, unless ``keep_track_ids``, its track ids) marked new.

    The store numbers new rows from the largest id left after the removal of the edited ones, so a
    new row could take the id of a kept one in the same write. Keyframe ids are not referenced
    anywhere, so the edited track's keyframes are simply all written as new rows.
    """
    clone = track.copy()
    if not keep_track_ids:
        clone.id = None
    for shape in clone.shapes:
        shape.id = None
    clone.elements = [_fresh_ids(e, keep_track_ids=keep_track_ids) for e in clone.elements]
    return clone


def _edit(
    project: Project, job_id: int, before: Sequence[Track], after: Sequence[Track], text: str
) -> ReplaceAnnotations:
    # Ids are kept only when no new track is written alongside (see _fresh_ids).
    keep = all(t.id is not None and all(e.id is not None for e in t.elements) for t in after)
    after = [_fresh_ids(t, keep_track_ids=keep) for t in after]
    return ReplaceAnnotations(project, job_id, before=Annotations(tracks=list(before)),
                              after=Annotations(tracks=after), text=text)


def _split_attributes(project: Project, label_id: int, attributes: dict[int, str]) -> tuple[dict, dict]:
    """(track attributes, per-frame attributes): mutable attributes change per frame, as in CVAT."""
    label = project.labels().get(label_id)
    track_attrs: dict[int, str] = {}
    frame_attrs: dict[int, str] = {}
    for spec_id, value in attributes.items():
        spec = label.attribute_by_id(spec_id) if label is not None else None
        (track_attrs if spec is not None and not spec.mutable else frame_attrs)[spec_id] = value
    return track_attrs, frame_attrs


def _track_from_shape(project: Project, shape: Shape) -> Track:
    track_attrs, frame_attrs = _split_attributes(project, shape.label_id, shape.attributes)
    key = TrackedShape(
        type=shape.type, frame=shape.frame, points=list(shape.points), rotation=shape.rotation,
        occluded=shape.occluded, outside=False, z_order=shape.z_order, attributes=frame_attrs,
    )
    elements = []
    for element in shape.elements:
        e_track, e_frame = _split_attributes(project, element.label_id, element.attributes)
        e_key = TrackedShape(type=element.type, frame=shape.frame, points=list(element.points),
                             occluded=element.occluded, outside=element.outside, z_order=shape.z_order,
                             attributes=e_frame)
        elements.append(Track(label_id=element.label_id, frame=shape.frame, shapes=[e_key],
                              source=element.source, attributes=e_track))
    return Track(label_id=shape.label_id, frame=shape.frame, shapes=[key], group=shape.group,
                 source=shape.source, attributes=track_attrs, elements=elements)


# ---------------------------------------------------------------- creating and deleting


def draw_track(project: Project, job_id: int, shape: Shape) -> ReplaceAnnotations:
    """A new track whose first keyframe is ``shape`` at ``shape.frame`` (track mode drawing).

    Immutable attributes of the label become track attributes, mutable ones stay on the keyframe.
    A skeleton shape gives a skeleton track with one element track per keypoint.
    """
    return ReplaceAnnotations(project, job_id, after=Annotations(tracks=[_track_from_shape(project, shape)]),
                              text="Draw track")


def shape_to_track(project: Project, job_id: int, shape: Shape) -> ReplaceAnnotations:
    """Replace a stored plain shape by a track starting with it."""
    if shape.id is None:
        raise ValueError("the shape is not stored yet (it has no id)")
    return ReplaceAnnotations(project, job_id, before=Annotations(shapes=[shape]),
                              after=Annotations(tracks=[_track_from_shape(project, shape)]), text="Shape to track")


def delete_track(project: Project, job_id: int, track: Track) -> ReplaceAnnotations:
    """Delete a track with all its keyframes (and element tracks)."""
    _require_stored(track)
    return _edit(project, job_id, [track], [], "Delete track")


def propagate_shape(
    project: Project, job_id: int, shape: Shape, count: int, *, step: int = 1, stop_frame: int | None = None
) -> ReplaceAnnotations:
    """Copies of ``shape`` (plain shapes) on the next ``count`` frames of the grid ``shape.frame + k * step``,
    not past ``stop_frame`` (the job's last frame when given)."""
    if count < 1 or step < 1:
        raise ValueError(f"count and step must be >= 1 (got count={count}, step={step})")
    frames = [shape.frame + k * step for k in range(1, count + 1)]
    if stop_frame is not None:
        frames = [f for f in frames if f <= stop_frame]
    if not frames:
        raise ValueError(f"no frame to propagate to after frame {shape.frame} (last frame {stop_frame})")
    copies = []
    for frame in frames:
        clone = shape.copy(frame=frame, id=None)
        for element in clone.elements:
            element.id, element.frame = None, frame
        copies.append(clone)
    return ReplaceAnnotations(project, job_id, after=Annotations(shapes=copies),
                              text=f"Propagate to {len(frames)} frames")


# ---------------------------------------------------------------- keyframes


def set_keyframe(
    project: Project,
    job_id: int,
    track: Track,
    state: TrackedShape,
    elements: Sequence[TrackedShape | None] | None = None,
) -> ReplaceAnnotations:
    """Make ``state`` the keyframe at ``state.frame`` (replacing one there; editing an interpolated frame).

    For a skeleton track ``elements`` gives the new state of each element track (``None`` or
    omitted: its current state at that frame), and every element gets a keyframe there as well.
    """
    _require_stored(track)
    after = track.copy()
    _put_keyframe(after, state)
    if elements is not None and len(elements) != len(after.elements):
        raise ValueError(f"{len(elements)} element states given for a skeleton of {len(after.elements)} elements")
    for i, element in enumerate(after.elements):
        given = elements[i] if elements is not None else None
        current = given if given is not None else shape_at(element, state.frame)
        if current is not None:
            _put_keyframe(element, current.copy(frame=state.frame))
    return _edit(project, job_id, [track], [after], "Set keyframe")


def remove_keyframe(project: Project, job_id: int, track: Track, frame: int) -> ReplaceAnnotations:
    """Remove the keyframe at ``frame`` (for a skeleton, its elements' keyframes there too); the frame
    becomes interpolated. The only keyframe of a track cannot be removed: delete the track instead."""
    _require_stored(track)
    if not is_keyframe(track, frame):
        raise ValueError(f"track {track.id} has no keyframe on frame {frame}")
    if len(track.shapes) == 1:
        raise ValueError(f"frame {frame} is the only keyframe of track {track.id}; delete the track instead")
    after = track.copy()
    _drop_keyframe(after, frame)
    for element in after.elements:
        if len(element.shapes) > 1:  # an element keeps its only keyframe
            _drop_keyframe(element, frame)
    return _edit(project, job_id, [track], [after], "Remove keyframe")


def toggle_keyframe(project: Project, job_id: int, track: Track, frame: int) -> ReplaceAnnotations:
    """CVAT's keyframe switch: remove the keyframe at ``frame``, or pin the interpolated state there."""
    if is_keyframe(track, frame):
        return remove_keyframe(project, job_id, track, frame)
    return set_keyframe(project, job_id, track, _state_or_error(track, frame))


def set_outside(
    project: Project,
    job_id: int,
    track: Track,
    frame: int,
    outside: bool = True,
    state: TrackedShape | None = None,
) -> ReplaceAnnotations:
    """A keyframe at ``frame`` that marks the object outside (left the view) or inside (re-entry).

    The position is ``state``'s when given (where the object re-enters), else the track's state at
    that frame. For a skeleton, its element tracks get the same mark at that frame.
    """
    _require_stored(track)
    current = _state_or_error(track, frame)
    base = (state if state is not None else current).copy(frame=frame, outside=outside)
    after = track.copy()
    _put_keyframe(after, base)
    for element in after.elements:
        e_state = shape_at(element, frame)
        if e_state is not None:
            _put_keyframe(element, e_state.copy(frame=frame, outside=outside))
    return _edit(project, job_id, [track], [after], "Outside" if outside else "Re-enter")


def mark_outside(project: Project, job_id: int, track: Track, frame: int) -> ReplaceAnnotations:
    """The object leaves the view at ``frame`` (hidden until its next keyframe)."""
    return set_outside(project, job_id, track, frame, True)


def mark_reentry(
    project: Project, job_id: int, track: Track, frame: int, state: TrackedShape | None = None
) -> ReplaceAnnotations:
    """The object comes back into view at ``frame``, at ``state``'s position (default: where it left)."""
    current = _state_or_error(track, frame)
    if not current.outside:
        raise ValueError(f"track {track.id} is not outside on frame {frame}")
    return set_outside(project, job_id, track, frame, False, state)


# ---------------------------------------------------------------- split and merge


def _split_one(track: Track, frame: int) -> tuple[Track, Track | None]:
    """(part ending with an outside keyframe at ``frame``, new part starting at ``frame``)."""
    state = shape_at(track, frame)
    head = track.copy(shapes=[s.copy() for s in track.shapes if s.frame < frame], elements=[])
    if state is None:
        return track.copy(), None
    if head.shapes:
        _put_keyframe(head, state.copy(frame=frame, outside=True))
    tail_shapes = [state.copy(keyframe=True)] + [s.copy() for s in keyframes(track) if s.frame > frame]
    for s in tail_shapes:
        s.id = None
    tail = track.copy(id=None, frame=frame, shapes=tail_shapes, elements=[])
    return head, tail


def split_track(project: Project, job_id: int, track: Track, frame: int) -> ReplaceAnnotations:
    """Split a track in two at ``frame``: the first ends there (outside keyframe at ``frame``), the
    second starts there with the state the object had on that frame. Both parts are written as new
    tracks (new ids); undo restores the original track under its id."""
    _require_stored(track)
    state = _state_or_error(track, frame)
    if state.outside:
        raise ValueError(f"track {track.id} is outside on frame {frame}; split it on a frame where it is visible")
    first = keyframes(track)[0].frame if track.shapes else track.frame
    if frame <= first:
        raise ValueError(f"frame {frame} is the first frame of track {track.id}; nothing to split off")
    head, tail = _split_one(track, frame)
    assert tail is not None  # state is not None above
    for element in track.elements:
        e_head, e_tail = _split_one(element, frame)
        head.elements.append(e_head)
        if e_tail is not None:
            tail.elements.append(e_tail.copy(id=None))
    return _edit(project, job_id, [track], [head, tail], "Split track")


def _track_type(track: Track) -> ShapeType | None:
    shapes = keyframes(track)
    return shapes[0].type if shapes else (ShapeType.SKELETON if track.elements else None)


def _merge_keyframes(parts: Sequence[Track], keep: Track) -> Track:
    by_frame: dict[int, TrackedShape] = {}
    attributes: dict[int, str] = {}
    for part in parts:  # later-selected parts override earlier ones
        by_frame.update({s.frame: s.copy() for s in part.shapes})
        attributes.update(part.attributes)
    shapes = [by_frame[f] for f in sorted(by_frame)]
    return keep.copy(shapes=shapes, attributes=attributes, frame=shapes[0].frame if shapes else keep.frame,
                     elements=[])


def merge_tracks(project: Project, job_id: int, tracks: Sequence[Track]) -> ReplaceAnnotations:
    """Merge the keyframes of ``tracks`` (in selection order) into the first one; the others are deleted.

    All tracks must have the same label and shape type. Where several have a keyframe on the same
    frame, the later-selected track's keyframe wins (see the module docstring).
    """
    if len(tracks) < 2:
        raise ValueError("select at least two tracks to merge")
    _require_stored(*tracks)
    if len({t.id for t in tracks}) != len(tracks):
        raise ValueError("the same track is selected twice")
    labels = {t.label_id for t in tracks}
    types = {_track_type(t) for t in tracks}
    if len(labels) != 1 or len(types) != 1:
        raise ValueError(f"only tracks of one label and shape type can be merged (labels {sorted(labels)}, "
                         f"types {sorted(str(t) for t in types)})")
    merged = _merge_keyframes(tracks, tracks[0])
    element_labels: list[int] = []
    for track in tracks:
        element_labels += [e.label_id for e in track.elements if e.label_id not in element_labels]
    for label_id in element_labels:
        # Every selected track is deleted before the merged one is written, so ids can carry over.
        parts = [e for t in tracks for e in t.elements if e.label_id == label_id]
        merged.elements.append(_merge_keyframes(parts, parts[0]))
    return _edit(project, job_id, list(tracks), [merged], f"Merge {len(tracks)} tracks")
