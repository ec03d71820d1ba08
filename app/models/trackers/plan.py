"""What a tracking run will follow: objects on the start frame, read from the project (Qt-free).

Planning reads the store on the calling (GUI) thread; the run itself (:mod:`app.models.trackers.runner`)
then needs nothing but frames and the tracker, and its result becomes one command
(:mod:`app.models.trackers.keyframes`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.domain.annotations import Shape, Track, TrackedShape
from app.domain.enums import ShapeType
from app.domain.interpolation import shape_at
from app.models.trackers.base import TrackTarget

if TYPE_CHECKING:
    from app.storage.store import Project


class PlanError(ValueError):
    """The run cannot start (bad frames, nothing to track); the message says why."""


@dataclass
class TrackedObject:
    """One object of a run: a plain shape or a track, and its state on the start frame."""

    target: TrackTarget
    label_id: int
    start_state: TrackedShape  # the object on the start frame (a keyframe or an interpolated state)
    shape: Shape | None = None  # set for a plain shape
    track: Track | None = None  # set for a track

    @property
    def key(self) -> tuple[str, int]:
        if self.track is not None:
            return ("track", int(self.track.id or 0))
        return ("shape", int(self.shape.id or 0) if self.shape is not None else 0)


@dataclass
class TrackingPlan:
    """Objects to follow from ``start`` over ``frames`` (in walking order, start excluded)."""

    job_id: int
    start: int
    frames: list[int]
    objects: list[TrackedObject]
    convert_shapes: bool = True
    skipped: list[str] = field(default_factory=list)  # why some requested objects are not tracked

    @property
    def stop(self) -> int:
        return self.frames[-1] if self.frames else self.start

    @property
    def backward(self) -> bool:
        return self.stop < self.start


def walk_frames(job_frames: Sequence[int], start: int, stop: int) -> list[int]:
    """Job frames strictly after ``start`` up to ``stop`` inclusive, in walking order (either way)."""
    frames = sorted(set(job_frames))
    if start not in frames:
        raise PlanError(f"frame {start} is not a frame of this job")
    if stop not in frames:
        raise PlanError(f"target frame {stop} is not a frame of this job ({frames[0]}-{frames[-1]})")
    if stop >= start:
        return [f for f in frames if start < f <= stop]
    return [f for f in reversed(frames) if stop <= f < start]


def _shape_object(shape: Shape) -> TrackedObject:
    state = TrackedShape(type=shape.type, frame=shape.frame, points=list(shape.points), rotation=shape.rotation,
                         occluded=shape.occluded, z_order=shape.z_order, attributes=dict(shape.attributes))
    return TrackedObject(TrackTarget.of(shape.type, shape.points, shape.rotation), shape.label_id, state, shape=shape)


def _track_object(track: Track, frame: int) -> TrackedObject | str:
    state = shape_at(track, frame)
    if state is None:
        return f"track {track.id}: does not exist yet on frame {frame}"
    if state.outside:
        return f"track {track.id}: is outside on frame {frame}"
    if track.elements:
        return f"track {track.id}: skeleton tracks cannot be tracked"
    return TrackedObject(TrackTarget.of(state.type, state.points, state.rotation), track.label_id, state, track=track)


def plan_tracking(
    project: Project,
    job_id: int,
    start: int,
    stop: int,
    supported: Iterable[ShapeType],
    *,
    shape_ids: Sequence[int] | None = None,
    track_ids: Sequence[int] | None = None,
    convert_shapes: bool = True,
) -> TrackingPlan:
    """The objects to follow from ``start`` to ``stop``.

    ``shape_ids`` / ``track_ids`` select objects; None for both means every object visible on the start
    frame whose type the tracker supports (CVAT's "track all"). Requested objects that cannot be tracked
    are listed in ``plan.skipped`` with the reason.
    """
    supported = frozenset(ShapeType(t) for t in supported)
    job = project.job(job_id)
    frames = walk_frames(job.frame_list(), start, stop)
    everything = shape_ids is None and track_ids is None
    shapes = project.frame_shapes(job_id, start)
    if not everything:
        wanted = set(shape_ids or ())
        shapes = [s for s in shapes if s.id in wanted]
        missing = wanted - {s.id for s in shapes}
        skipped = [f"shape {i}: not on frame {start}" for i in sorted(missing)]
    else:
        skipped = []
    tracks = project.tracks(job_id, None if everything else list(track_ids or ()))
    objects: list[TrackedObject] = []
    for shape in shapes:
        if shape.type in supported:
            objects.append(_shape_object(shape))
        elif not everything:
            skipped.append(f"shape {shape.id}: a {shape.type.value} cannot be tracked by this tracker")
    for track in tracks:
        item = _track_object(track, start)
        if isinstance(item, str):
            if not everything:
                skipped.append(item)
        elif item.target.type in supported:
            objects.append(item)
        elif not everything:
            skipped.append(f"track {track.id}: a {item.target.type.value} cannot be tracked by this tracker")
    return TrackingPlan(job_id, start, frames, objects, convert_shapes, skipped)
