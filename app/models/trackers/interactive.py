"""Interactive tracking, as CVAT's Trackers tab (Qt-free).

Objects (tracks) are marked as tracked with a tracker. When the annotator steps from frame N-1 to the
next frame N, every marked object whose last keyframe is on N-1 is tracked onto N and gets a keyframe
there (or an ``outside`` keyframe when the tracker loses it). Tracker states are kept between steps
and reused while the object on N-1 is exactly what the tracker produced; when the user edited it (or
it is the first step) the state is made afresh from the shape on N-1 — CVAT's re-init rule.

A step has three parts so that the GUI thread never waits on a model:
``plan_step`` (reads the store, GUI thread) -> ``compute_step`` (models, any thread) ->
``step_command`` (builds the undoable edit, GUI thread; the caller pushes it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.domain.annotations import Annotations
from app.models.trackers.base import Tracker
from app.models.trackers.keyframes import ObjectResult, TrackingEdit, build_changes
from app.models.trackers.plan import PlanError, TrackingPlan, plan_tracking, walk_frames
from app.models.trackers.runner import read_frame

if TYPE_CHECKING:
    from app.editing.commands import Command
    from app.storage.store import Project


@dataclass
class TrackedEntry:
    """A track marked as tracked."""

    track_id: int
    tracker: Tracker
    enabled: bool = True
    state: Any = None
    last_frame: int | None = None  # frame of the tracker's last result
    last_points: tuple[float, ...] | None = None

    def reset(self) -> None:
        self.state, self.last_frame, self.last_points = None, None, None


@dataclass
class StepPlan:
    """What one step does: per tracker, a plan of the objects to move from ``start`` to ``frame``."""

    start: int
    frame: int
    plans: list[tuple[Tracker, TrackingPlan, list[TrackedEntry]]] = field(default_factory=list)

    def __len__(self) -> int:
        return sum(len(p.objects) for _, p, _ in self.plans)


@dataclass
class StepResult:
    plan: StepPlan
    results: list[list[ObjectResult]]  # parallel to plan.plans

    @property
    def lost(self) -> int:
        return sum(1 for rs in self.results for r in rs if r.lost)


class InteractiveTracking:
    """The tracked objects of one job and what each step does to them."""

    def __init__(self) -> None:
        self._entries: dict[int, TrackedEntry] = {}

    # ------------------------------------------------------------------ marking
    def mark(self, track_id: int, tracker: Tracker) -> TrackedEntry:
        entry = TrackedEntry(int(track_id), tracker)
        self._entries[entry.track_id] = entry
        return entry

    def unmark(self, track_id: int) -> None:
        self._entries.pop(int(track_id), None)

    def set_enabled(self, track_id: int, enabled: bool) -> None:
        entry = self._entries[int(track_id)]
        entry.enabled = bool(enabled)
        if not enabled:
            entry.reset()

    def entries(self) -> list[TrackedEntry]:
        return list(self._entries.values())

    def entry(self, track_id: int) -> TrackedEntry | None:
        return self._entries.get(int(track_id))

    def tracker_name(self, track_id: int) -> str | None:
        """The name to show next to a tracked object on the canvas (None when it is not tracked or off)."""
        entry = self._entries.get(int(track_id))
        return entry.tracker.name if entry is not None and entry.enabled else None

    def forget_missing(self, existing: set[int]) -> None:
        """Drop entries whose track no longer exists (deleted, or removed by an undo)."""
        for track_id in [t for t in self._entries if t not in existing]:
            del self._entries[track_id]

    # ------------------------------------------------------------------ a step
    def plan_step(self, project: Project, job_id: int, start: int, frame: int) -> StepPlan:
        """The objects to track from ``start`` onto ``frame`` (the next job frame). Reads the store.

        An enabled object takes part when its track exists on ``start``, is visible there and has its
        last keyframe on ``start`` (a later keyframe means the user already placed it further on).
        """
        step = StepPlan(start, frame)
        try:
            if walk_frames(project.job(job_id).frame_list(), start, frame) != [frame] or frame < start:
                return step  # only a step to the next frame tracks (as in CVAT)
        except PlanError:
            return step
        tracks = {t.id: t for t in project.tracks(job_id, [e.track_id for e in self._entries.values()])}
        self.forget_missing(set(tracks))
        by_tracker: dict[int, list[TrackedEntry]] = {}
        for entry in self._entries.values():
            track = tracks.get(entry.track_id)
            if not entry.enabled or track is None or not track.shapes:
                continue
            if max(s.frame for s in track.shapes) != start:
                entry.reset()
                continue
            by_tracker.setdefault(id(entry.tracker), []).append(entry)
        for entries in by_tracker.values():
            tracker = entries[0].tracker
            try:
                plan = plan_tracking(project, job_id, start, frame, tracker.supported_types,
                                     track_ids=[e.track_id for e in entries], convert_shapes=False)
            except PlanError:
                continue
            kept = {obj.track.id for obj in plan.objects if obj.track is not None}
            planned = [next(e for e in entries if e.track_id == obj.track.id) for obj in plan.objects
                       if obj.track is not None]
            for entry in entries:
                if entry.track_id not in kept:
                    entry.reset()
            if plan.objects:
                step.plans.append((tracker, plan, planned))
        return step

    def compute_step(self, step: StepPlan, frames: Any) -> StepResult:
        """Run the trackers (any thread). Reuses states the user did not invalidate."""
        all_results: list[list[ObjectResult]] = []
        for tracker, plan, entries in step.plans:
            pre_start = None
            for obj, entry in zip(plan.objects, entries, strict=True):
                current = tuple(obj.start_state.points)
                if entry.state is None or entry.last_frame != step.start or entry.last_points != current:
                    if pre_start is None:
                        pre_start = tracker.preprocess(read_frame(frames, step.start))
                    entry.state = tracker.init_state(pre_start, obj.target)
            pre = tracker.preprocess(read_frame(frames, step.frame))
            results = []
            for entry in entries:
                result = ObjectResult()
                points = tracker.track(pre, entry.state)
                result.add(step.frame, points)
                if points is None:
                    entry.reset()
                else:
                    entry.last_frame, entry.last_points = step.frame, tuple(float(p) for p in points)
                results.append(result)
            all_results.append(results)
        return StepResult(step, all_results)

    def step_command(self, project: Project, result: StepResult) -> Command | None:
        """One undoable edit with every object's new keyframe (None when nothing was tracked)."""
        before, after = Annotations(), Annotations()
        job_id = None
        for (_, plan, _), results in zip(result.plan.plans, result.results, strict=True):
            b, a = build_changes(project, plan, results)
            before.extend(b)
            after.extend(a)
            job_id = plan.job_id
        if job_id is None or not len(after):
            return None
        return TrackingEdit(project, job_id, before=before, after=after, text="Track to next frame")

