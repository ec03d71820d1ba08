"""Turn a tracking run's results into one edit of the annotations (Qt-free).

- A track gets a keyframe on every tracked frame (an existing keyframe there is replaced), plus one on
  the start frame when the start state was interpolated, so that the new keyframes do not change it.
- A plain shape becomes a track (option "convert shapes to tracks", as CVAT) or, without it, gets a new
  plain shape on every tracked frame.
- A lost object ends with an ``outside`` keyframe on the frame where it was lost (a converted or
  existing track); plain shapes simply stop.

Everything is one :class:`~app.editing.commands.ReplaceAnnotations` (one transaction, one undo step),
so a run that fails or is cancelled half-way never leaves half-written tracks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.domain.annotations import Annotations, Shape, Track, TrackedShape
from app.domain.enums import Source
from app.editing.commands import ReplaceAnnotations
from app.models.trackers.plan import TrackedObject, TrackingPlan

if TYPE_CHECKING:
    from app.storage.store import Project

RESULT_SOURCE = Source.SEMI_AUTO


@dataclass
class ObjectResult:
    """Per-frame results of one object, in walking order. ``None`` points mean lost on that frame
    (always the last entry). Points are kept as float64 arrays: 4x smaller than lists of floats."""

    frames: list[int] = field(default_factory=list)
    points: list[np.ndarray | None] = field(default_factory=list)

    def add(self, frame: int, points: list[float] | None) -> None:
        self.frames.append(frame)
        self.points.append(None if points is None else np.asarray(points, dtype=np.float64))

    @property
    def lost(self) -> bool:
        return bool(self.points) and self.points[-1] is None

    def __len__(self) -> int:
        return len(self.frames)


def _keyframe(base: TrackedShape, frame: int, points: np.ndarray | None, last: list[float]) -> TrackedShape:
    if points is None:
        return base.copy(frame=frame, points=list(last), outside=True, keyframe=True, id=None)
    return base.copy(frame=frame, points=points.tolist(), outside=False, keyframe=True, id=None)


def _merge(shapes: list[TrackedShape], new: list[TrackedShape]) -> list[TrackedShape]:
    by_frame = {s.frame: s for s in shapes}
    for shape in new:
        old = by_frame.get(shape.frame)
        by_frame[shape.frame] = shape if old is None else shape.copy(id=old.id)
    return [by_frame[f] for f in sorted(by_frame)]


def _new_keyframes(obj: TrackedObject, result: ObjectResult) -> list[TrackedShape]:
    base = obj.start_state.copy(keyframe=True, outside=False)
    keyframes = [base.copy(frame=obj.start_state.frame, id=obj.start_state.id)]
    last = list(obj.start_state.points)
    for frame, points in zip(result.frames, result.points, strict=True):
        keyframes.append(_keyframe(base, frame, points, last))
        if points is not None:
            last = points.tolist()
    return keyframes


def _converted(project: Project, plan: TrackingPlan, obj: TrackedObject, result: ObjectResult) -> Track:
    """The track a plain shape becomes (track_ops' conversion: immutable attributes on the track,
    mutable ones on the keyframes) with the tracked keyframes added."""
    from app.editing.track_ops import shape_to_track

    shape = obj.shape
    assert shape is not None
    track = shape_to_track(project, plan.job_id, shape).after.tracks[0]
    first = track.shapes[0]
    start = obj.start_state.copy(attributes=dict(first.attributes))
    keyframes = _new_keyframes(TrackedObject(obj.target, obj.label_id, start, shape=shape), result)
    shapes = sorted(keyframes, key=lambda s: s.frame)
    return track.copy(shapes=shapes, frame=shapes[0].frame, source=RESULT_SOURCE)


def _plain_shapes(obj: TrackedObject, result: ObjectResult) -> list[Shape]:
    shape = obj.shape
    assert shape is not None
    return [shape.copy(frame=frame, points=points.tolist(), id=None, source=RESULT_SOURCE)
            for frame, points in zip(result.frames, result.points, strict=True) if points is not None]


def _edited_track(obj: TrackedObject, result: ObjectResult) -> Track:
    track = obj.track
    assert track is not None
    shapes = _merge([s.copy() for s in track.shapes], _new_keyframes(obj, result))
    # Keyframes are re-inserted under fresh ids (see TrackingEdit): nothing refers to keyframe ids.
    return track.copy(shapes=[s.copy(id=None) for s in shapes], frame=shapes[0].frame)


def build_changes(project: Project, plan: TrackingPlan,
                  results: list[ObjectResult]) -> tuple[Annotations, Annotations]:
    """(before, after) of the edit that stores ``results`` (objects with no tracked frame are left out)."""
    before, after = Annotations(), Annotations()
    for obj, result in zip(plan.objects, results, strict=True):
        if not len(result):
            continue
        if obj.track is not None:
            before.tracks.append(obj.track)
            after.tracks.append(_edited_track(obj, result))
        elif plan.convert_shapes:
            before.shapes.append(obj.shape)
            after.tracks.append(_converted(project, plan, obj, result))
        else:
            after.shapes.extend(_plain_shapes(obj, result))
    return before, after


def _split(annotations: Annotations) -> tuple[Annotations, Annotations]:
    """(objects with an id, objects without), copied."""
    kept, new = Annotations(), Annotations()
    for name in ("shapes", "tracks", "tags"):
        for item in getattr(annotations, name):
            getattr(kept if item.id is not None else new, name).append(item.copy())
    return kept, new


class TrackingEdit(ReplaceAnnotations):
    """:class:`ReplaceAnnotations` whose first run inserts the objects that keep their id and the new
    objects in two steps of one transaction. (The store numbers new rows from the ids present when the
    batch starts, so one batch mixing kept and new ids of a table could collide.)"""

    def redo(self) -> None:
        kept, new = _split(self.after)
        if not len(new) or not len(kept):
            super().redo()
            return
        shapes = [s.id for s in self.before.shapes if s.id is not None]
        tracks = [t.id for t in self.before.tracks if t.id is not None]
        tags = [t.id for t in self.before.tags if t.id is not None]
        with self.project.transaction():
            added = self.project.replace_annotations(self.job_id, remove_shapes=shapes, remove_tracks=tracks,
                                                     remove_tags=tags, add=kept)
            added.extend(self.project.add_annotations(self.job_id, new))
        self.after = _split(added)[0]  # every object has its id now: later redos keep them


def build_command(project: Project, plan: TrackingPlan, results: list[ObjectResult],
                  text: str = "Track objects") -> ReplaceAnnotations | None:
    """The command to push on the undo stack, or None when nothing was tracked."""
    before, after = build_changes(project, plan, results)
    if not len(after) and not len(before):
        return None
    return TrackingEdit(project, plan.job_id, before=before, after=after, text=text)
